"""The section's work list (自課の措置) files each measure where the section's next step is: an accepted
措置中 measure is reported, not 未報告, and a report handed back shows what to fix (the audit office's
差戻し comment, or the approver's 課内差戻し comment)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from auditreg.choices import Role
from auditreg.models import Section
from findings.models import Finding
from tests.factories import MeasureFactory, ReportFactory, UserFactory, bulk_report
from tests.query_counts import count_queries

PAST = datetime.date(2025, 4, 30)
FUTURE = datetime.date(2099, 3, 31)
RETURN_COMMENT = "根拠資料（<確認表>）を添付して再提出してください。"
HAND_BACK_COMMENT = "完了予定日を年度末に直してください。"


@pytest.fixture
def people(db):
    section = Section.objects.get(bureau__name="都市政策局", name="広報広聴課")
    return {
        "section": section,
        "auditor": UserFactory(username="w-auditor", role=Role.AUDITOR, last_name="監査"),
        "staff": UserFactory(username="w-staff", role=Role.SECTION_STAFF, section=section, last_name="担当"),
        "head": UserFactory(username="w-head", role=Role.SECTION_HEAD, section=section, last_name="課長"),
    }


def measure_in(people, finding, state, *, reply_by=FUTURE, code="in_progress", comment=None):
    """One measure of the section in a workflow state ("assigned" = nothing reported yet)."""
    measure = MeasureFactory(finding=finding, section=people["section"], reply_by=reply_by, by=people["auditor"])
    if state != "assigned":
        ReportFactory(
            measure=measure,
            by=people["staff"],
            state=state,
            code=code,
            approver=people["head"],
            reviewer=people["auditor"],
            comment=comment,
        )
    return measure


@pytest.fixture
def worklist(people, report, client):
    f = {x.code: x for x in Finding.objects.filter(report=report)}
    m = {
        "reported": measure_in(people, f["意見01"], "accepted"),
        "reported_late": measure_in(people, f["意見02"], "accepted", reply_by=PAST),
        "done": measure_in(people, f["意見03"], "accepted", code="done"),
        "to_do": measure_in(people, f["意見04"], "assigned"),
        "due_soon": measure_in(people, f["意見05"], "assigned", reply_by=timezone.localdate()),
        "returned": measure_in(people, f["意見06"], "returned", comment=RETURN_COMMENT),
        "revising": measure_in(people, f["意見07"], "revising", comment=HAND_BACK_COMMENT),
    }
    client.force_login(people["staff"])
    response = client.get(reverse("findings:worklist"))
    assert response.status_code == 200
    return m, response


def group_of(response, name):
    return {x.pk for x in response.context["groups"][name]["rows"]}


def test_an_accepted_measure_in_progress_is_reported_not_unreported(worklist):
    m, response = worklist
    assert group_of(response, "reported") == {m["reported"].pk}
    assert group_of(response, "to_do") == {m["to_do"].pk}
    assert group_of(response, "due_soon") == {m["due_soon"].pk}
    # past its reply-by date it stays overdue, as on the dashboard and in the reminders
    assert m["reported_late"].pk in group_of(response, "overdue")
    assert group_of(response, "closed") == {m["done"].pk}
    unreported = group_of(response, "to_do") | group_of(response, "due_soon")
    assert not unreported & {m["reported"].pk, m["reported_late"].pk, m["done"].pk}
    html = response.content.decode()
    assert "報告済み・措置継続中（受理済、未完了）（1 件）" in html


def test_a_returned_report_shows_what_to_fix(worklist):
    m, response = worklist
    assert group_of(response, "returned") == {m["returned"].pk, m["revising"].pk}
    html = response.content.decode()
    assert "監査事務局の差戻し理由" in html
    assert "根拠資料（&lt;確認表&gt;）を添付して再提出してください。" in html  # escaped
    assert "課内差戻しのコメント" in html
    assert HAND_BACK_COMMENT in html
    rows = {x.pk: x for x in response.context["groups"]["returned"]["rows"]}
    assert rows[m["returned"].pk].open_report.return_comment == RETURN_COMMENT
    assert rows[m["revising"].pk].open_report.return_comment == HAND_BACK_COMMENT
    # no comment shown for other open reports
    assert html.count("差戻し理由") == 2  # the group and the full list below
    assert html.count("課内差戻しのコメント") == 2


def test_the_hand_back_comment_is_the_latest_one(people, report, client):
    finding = Finding.objects.get(report=report, code="意見01")
    measure = measure_in(people, finding, "revising", comment="一回目のコメント")
    ReportFactory(measure=measure, by=people["staff"], state="revising", approver=people["head"], comment="二回目")
    client.force_login(people["head"])
    (row,) = client.get(reverse("findings:worklist")).context["groups"]["returned"]["rows"]
    assert row.open_report.return_comment == "二回目"


def test_the_comments_and_the_new_group_cost_no_query_per_row(people, report, client):
    """The same number of queries with 7 measures and with 7 + 6 × 8 in every state."""
    f = list(Finding.objects.filter(report=report).order_by("order"))
    states = ["accepted", "returned", "revising", "assigned", "submitted", "draft"]
    for i, state in enumerate(states):
        measure_in(people, f[i], state, comment="直してください。" if state in ("returned", "revising") else None)
    client.force_login(people["staff"])
    url = reverse("findings:worklist")
    client.get(url)
    small, _ = count_queries(client, url)

    synthetic = list(bulk_report(48, code="w-synthetic").findings.order_by("order"))
    for i, finding in enumerate(synthetic):
        state = states[i % len(states)]
        measure_in(people, finding, state, comment="直してください。" if state in ("returned", "revising") else None)
    large, response = count_queries(client, url)
    assert response.context["groups"]["reported"]["count"] == 9
    assert response.context["groups"]["returned"]["count"] == 18
    assert large == small
