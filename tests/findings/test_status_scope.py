"""A section user sees the current status only of the findings assigned to their section; for the
others, the last published status, never unpublished progress (issue 13, point 8)."""

import datetime

import pytest
from django.urls import reverse

from auditreg.choices import Role
from auditreg.models import Section
from findings import publishing, services
from findings.models import Finding, MeasureStatus
from findings.selectors import scope_statuses
from tests.factories import ReportFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(report, make_user):
    own = Section.objects.get(bureau__name="都市政策局", name="広報広聴課")
    other = Section.objects.get(bureau__name="都市政策局", name="交通政策課")
    auditor = make_user("aud", Role.AUDITOR, last_name="監査")
    staff = make_user("st", Role.SECTION_STAFF, own, last_name="担当")
    head = make_user("hd", Role.SECTION_HEAD, own, last_name="課長")
    o_staff = make_user("ost", Role.SECTION_STAFF, other, last_name="他担当")
    o_head = make_user("ohd", Role.SECTION_HEAD, other, last_name="他課長")
    mine = Finding.objects.get(report=report, code="指摘01")
    theirs = Finding.objects.get(report=report, code="指摘02")
    services.finding_assign(finding=mine, sections=[own], reply_by=None, by=auditor)
    (measure,) = services.finding_assign(finding=theirs, sections=[other], reply_by=None, by=auditor)
    return {
        "report": report,
        "auditor": auditor,
        "staff": staff,
        "head": head,
        "mine": mine,
        "theirs": theirs,
        "measure": measure,
        "o_staff": o_staff,
        "o_head": o_head,
    }


def _accept(s, status_code):
    status = MeasureStatus.objects.get(code=status_code)
    values = {
        "status": status,
        "reported_on": datetime.date(2025, 6, 1),
        "text": "進めた。",
        "planned_completion_on": None,
        "completed_on": datetime.date(2025, 6, 1) if status.is_done else None,
        "reason": "",
    }
    ReportFactory(
        measure=s["measure"],
        by=s["o_staff"],
        state="accepted",
        approver=s["o_head"],
        reviewer=s["auditor"],
        comment="",
        values=values,
    )


def labels(user, *findings):
    rows = [Finding.objects.get(pk=f.pk) for f in findings]
    for r in rows:
        r.status_label = "（現在）"
    scope_statuses(user=user, findings=rows)
    return [(r.status_label, r.status_published_in) for r in rows]


def test_unpublished_progress_of_another_section_is_not_shown(setup):
    s = setup
    _accept(s, "in_progress")
    # nothing published yet: another section's finding shows 未公表
    assert labels(s["staff"], s["theirs"]) == [("未公表", None)]
    # the section's own finding keeps its current status; the audit office sees everything current
    assert labels(s["staff"], s["mine"]) == [("（現在）", None)]
    assert labels(s["auditor"], s["theirs"]) == [("（現在）", None)]


def test_the_last_published_status_is_shown_and_later_progress_is_not(setup):
    s = setup
    _accept(s, "in_progress")
    publishing.publish(
        reports=[s["report"]], as_of=datetime.date.today(), per="finding", number=1,
        published_on=datetime.date.today(), by=s["auditor"],
    )  # fmt: skip
    _accept(s, "done")  # progress after the publication
    label, number = labels(s["staff"], s["theirs"])[0]
    assert (label, number) == (MeasureStatus.objects.get(code="in_progress").label, 1)


def test_the_finding_list_page_uses_the_scoped_status(client, setup):
    s = setup
    _accept(s, "done")
    client.force_login(s["staff"])
    page = client.get(reverse("findings:finding_list"), {"q": ""}).content.decode()
    done = MeasureStatus.objects.get(code="done").label
    row = page[page.index(f"/findings/{s['theirs'].pk}/") :][:2000]
    assert "未公表" in row and done not in row.split("</tr>")[0]


def test_the_finding_page_shows_another_sections_finding_as_last_published(client, setup):
    s = setup
    _accept(s, "in_progress")
    publishing.publish(
        reports=[s["report"]], as_of=datetime.date.today(), per="finding", number=1,
        published_on=datetime.date.today(), by=s["auditor"],
    )  # fmt: skip
    _accept(s, "done")
    in_progress, done = (MeasureStatus.objects.get(code=c).label for c in ("in_progress", "done"))
    client.force_login(s["staff"])
    page = client.get(reverse("findings:finding_detail", args=[s["theirs"].pk])).content.decode()
    block = page[page.index('id="published-status"') :].split("</dl>")[0]
    assert f"{in_progress}（第1号公表時）" in block
    assert done not in page
    # the section's own finding: its measure with the current status, no published block
    page = client.get(reverse("findings:finding_detail", args=[s["mine"].pk])).content.decode()
    assert 'id="published-status"' not in page
    # the audit office sees the other section's measure with its current status
    client.force_login(s["auditor"])
    page = client.get(reverse("findings:finding_detail", args=[s["theirs"].pk])).content.decode()
    assert 'id="published-status"' not in page and done in page
