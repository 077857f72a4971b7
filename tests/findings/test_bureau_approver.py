"""代決 from outside the section (issue 13): the 局の代決者 approves and hands back the drafts of every
section of their 局, never a draft they drafted or edited (指摘01), sees only their 局's measures and
edits no draft. A section whose only approver is its 課長 thus always has a way to the audit office."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from auditreg.choices import Role
from auditreg.models import Bureau, Section, User
from findings.choices import ReportState
from findings.models import EvidenceFile, Measure, MeasureReport
from findings.services import (
    WorkflowError,
    finding_assign,
    may_approve,
    report_save_draft,
    report_section_return,
    report_submit,
)

from .permissions_matrix import DONE, ENDPOINTS, client_for
from .services_helpers import REPLY_BY, draft, edit, values
from .test_permission_matrix import test_permission_matrix as check_cell

pytestmark = pytest.mark.django_db


@pytest.fixture
def lone_head(make_user, section, people):
    """The section as the issue found it: its 課長 is its only active user (the others have left)."""
    head = make_user("lone_head", Role.SECTION_HEAD, section, last_name="課長")
    User.objects.filter(section=section).exclude(pk=head.pk).update(is_active=False)
    return head


@pytest.fixture
def bureau_approver(make_user, section):
    return make_user("bureau_chief", Role.BUREAU_APPROVER, bureau=section.bureau, last_name="局長")


@pytest.fixture
def other_bureau_measure(opinion, people):
    other = Section.objects.exclude(bureau__name="都市政策局").order_by("pk").first()
    (measure,) = finding_assign(finding=opinion, sections=[other], reply_by=REPLY_BY, by=people.auditor)
    return measure


def test_the_lone_head_cannot_approve_his_draft_but_the_bureau_approver_can(measure, lone_head, bureau_approver):
    report = draft(measure, lone_head)
    assert not may_approve(report, lone_head)
    submitted = report_submit(report=report, by=bureau_approver)
    assert (submitted.state, submitted.approved_by, submitted.drafted_by) == (
        ReportState.SUBMITTED,
        bureau_approver,
        lone_head,
    )


def test_the_bureau_approver_hands_a_draft_back(measure, lone_head, bureau_approver):
    report = report_section_return(
        report=draft(measure, lone_head), by=bureau_approver, comment="期日を入れてください。"
    )
    assert report.state == ReportState.REVISING


def test_refused_for_a_section_of_another_bureau(other_bureau_measure, make_user, bureau_approver):
    head = make_user("far_head", Role.SECTION_HEAD, other_bureau_measure.section, last_name="遠課長")
    report = draft(other_bureau_measure, head)
    assert not may_approve(report, bureau_approver)
    with pytest.raises(PermissionDenied):
        report_submit(report=report, by=bureau_approver)
    with pytest.raises(PermissionDenied):
        report_section_return(report=report, by=bureau_approver, comment="x")
    assert MeasureReport.objects.get(pk=report.pk).state == ReportState.DRAFT


def test_refused_for_a_draft_they_edited(measure, lone_head, make_user, section):
    """A 課長 who edited the draft and was then made 局の代決者 (same account) still may not approve it."""
    promoted = make_user("promoted", Role.SECTION_HEAD, section, last_name="昇任")
    report = edit(draft(measure, lone_head), promoted, text="昇任前に直した。")
    report = edit(report, lone_head, text="課長がまた直した。")  # the promoted one is no longer the last editor
    promoted.role, promoted.section, promoted.bureau = Role.BUREAU_APPROVER, None, section.bureau
    promoted.save()
    assert not may_approve(report, promoted)
    with pytest.raises(WorkflowError, match="作成・編集した人"):
        report_submit(report=report, by=promoted)
    # after a hand-back and the head's save, the text is no longer the promoted one's
    report = report_section_return(report=report, by=promoted, comment="確認してください。")
    report = edit(report, lone_head, text="課長が確認した。")
    assert report_submit(report=report, by=promoted).approved_by == promoted


def test_never_edits_a_draft_nor_adds_evidence(measure, lone_head, bureau_approver):
    with pytest.raises(PermissionDenied):
        report_save_draft(measure=measure, by=bureau_approver, values=values(), version=None)
    assert not MeasureReport.objects.exists()


def test_sees_the_measures_of_their_bureau_only(measure, other_bureau_measure, bureau_approver, people):
    sibling = Measure.objects.create(
        finding=other_bureau_measure.finding,
        section=people.outsider.section,  # 交通政策課, the same 都市政策局
        assigned_by=people.auditor,
        assigned_at=measure.assigned_at,
        status=measure.status,
    )
    seen = set(Measure.objects.for_user(bureau_approver).values_list("pk", flat=True))
    assert seen == {measure.pk, sibling.pk}
    assert other_bureau_measure.pk not in seen
    assert not EvidenceFile.objects.for_user(bureau_approver).filter(measure=other_bureau_measure).exists()


def test_pages_scope_and_start_page(client, measure, other_bureau_measure, lone_head, bureau_approver):
    report = draft(measure, lone_head)
    client.force_login(bureau_approver)
    assert client.get(reverse("home")).url == reverse("findings:bureau_worklist")
    page = client.get(reverse("findings:bureau_worklist"))
    assert page.status_code == 200
    assert [r.pk for r in page.context["drafts"]] == [report.pk]
    assert page.context["drafts"][0].can_approve
    assert client.get(reverse("findings:measure_detail", args=[other_bureau_measure.pk])).status_code == 404
    detail = client.get(reverse("findings:measure_detail", args=[measure.pk]))
    assert detail.context["can_submit"] and not detail.context["can_edit"]
    assert "局の代決者として承認し" in detail.content.decode()
    client.post(reverse("findings:report_submit", args=[measure.pk, report.pk]))
    assert MeasureReport.objects.get(pk=report.pk).approved_by == bureau_approver
    # nobody else gets the 局 page
    client.force_login(lone_head)
    assert client.get(reverse("findings:bureau_worklist")).status_code == 403


def test_the_head_is_told_before_saving_who_can_still_approve(client, measure, lone_head, bureau_approver):
    client.force_login(lone_head)
    page = client.get(reverse("findings:measure_detail", args=[measure.pk])).content.decode()
    assert "保存した後に承認できる人：局長 太郎（局の代決者）" in page
    bureau_approver.is_active = False
    bureau_approver.save()
    page = client.get(reverse("findings:measure_detail", args=[measure.pk])).content.decode()
    assert "この報告を承認できる人がいなくなります" in page


def test_start_page_query_count(client, django_assert_max_num_queries, finding, people, lone_head, bureau_approver):
    sections = list(Section.objects.filter(bureau=lone_head.section.bureau).order_by("pk")[:6])
    measures = finding_assign(finding=finding, sections=sections, reply_by=REPLY_BY, by=people.auditor)
    client.force_login(bureau_approver)
    for n, m in enumerate(measures, start=1):
        report_save_draft(measure=m, by=_head_of(m.section, n), values=values(), version=None)
        with django_assert_max_num_queries(9):
            page = client.get(reverse("findings:bureau_worklist"))
        assert len(page.context["drafts"]) == n


def _head_of(section, n):
    return User.objects.create_user(
        username=f"h{n}", password="x-correct-horse", role=Role.SECTION_HEAD, section=section, last_name="課長"
    )


def test_the_database_keeps_a_bureau_approver_in_a_bureau(make_user, section):
    with transaction.atomic(), pytest.raises(IntegrityError):
        make_user("no_bureau", Role.BUREAU_APPROVER, last_name="局長")
    with transaction.atomic(), pytest.raises(IntegrityError):
        make_user("head_with_bureau", Role.SECTION_HEAD, section, bureau=Bureau.objects.first(), last_name="課長")
    user = make_user("ok", Role.BUREAU_APPROVER, bureau=section.bureau, last_name="局長")
    user.section = section
    with pytest.raises(ValidationError):
        user.full_clean()


def test_a_bureau_approver_of_an_abolished_bureau_is_listed_for_review(bureau_approver, section):
    import datetime

    from auditreg.accounts import review

    today = datetime.date(2026, 4, 1)
    Bureau.objects.filter(pk=section.bureau_id).update(valid_to=today)
    assert bureau_approver in review(days=90, today=today)["orphaned"]


def test_a_draft_moved_to_another_bureau_by_a_reorganisation_moves_to_its_approver(
    measure, lone_head, bureau_approver, make_user, people
):
    import datetime

    from findings import reorganisation

    report = draft(measure, lone_head)
    successor = Section.objects.exclude(bureau=measure.section.bureau).order_by("pk").first()
    other_chief = make_user("other_chief", Role.BUREAU_APPROVER, bureau=successor.bureau, last_name="他局長")
    today = datetime.date(2026, 4, 1)
    reorganisation.prepare(
        from_section=measure.section, to_sections=[successor], effective_on=today, by=people.auditor, today=today
    )
    report.refresh_from_db()
    assert report.measure.section == successor
    assert not Measure.objects.for_user(bureau_approver).filter(pk=measure.pk).exists()
    assert not may_approve(report, bureau_approver)
    assert report_submit(report=report, by=other_chief).approved_by == other_chief


def test_the_finding_list_shows_the_bureau_approver_the_current_status_of_their_bureau(
    measure, other_bureau_measure, bureau_approver
):
    """Like a section user: the current status for findings assigned to the 局's sections, the published
    one (here: none yet) for the others."""
    from findings.models import Finding
    from findings.selectors import scope_statuses

    own, other = Finding.objects.get(pk=measure.finding_id), Finding.objects.get(pk=other_bureau_measure.finding_id)
    own.status_label = other.status_label = "現在の状況"
    scope_statuses(user=bureau_approver, findings=[own, other])
    assert (own.status_label, own.status_published_in) == ("現在の状況", None)
    assert other.status_label == "未公表"


# -- the permission matrix's rows for the 局の代決者 (tests/findings/permissions_matrix.py) -------------
# of the measure's 局 (都市政策局): reads the measure and its evidence, approves, nothing else;
# of another 局: sees nothing of it (404 alike for invisible and missing)

# fmt: off
BUREAU_ROWS = {  # endpoint: (the 局's approver, another 局's)
    "finding_assign":       (403,  403),
    "measure_save":         (403,  404),
    "report_submit":        (DONE, 404),
    "report_review_accept": (403,  404),
    "report_review_return": (403,  404),
    "evidence_upload":      (403,  404),
    "evidence_download":    (200,  404),
    "measure_detail":       (200,  404),
    "dashboard":            (403,  403),
}
# fmt: on
assert set(BUREAU_ROWS) | {"worklist"} == set(ENDPOINTS)


@pytest.fixture
def bureau_world(world, make_user):
    elsewhere = Bureau.objects.exclude(pk=world.section.bureau_id).order_by("order").first()
    world.users["bureau"] = make_user("bureau", Role.BUREAU_APPROVER, bureau=world.section.bureau, last_name="局長")
    world.users["far_bureau"] = make_user("far_bureau", Role.BUREAU_APPROVER, bureau=elsewhere, last_name="他局長")
    return world


@pytest.mark.parametrize(("endpoint", "expected"), [(e, row[0]) for e, row in BUREAU_ROWS.items()])
def test_permission_matrix_bureau_approver(endpoint, expected, bureau_world):
    check_cell(endpoint, "bureau", expected, bureau_world)


@pytest.mark.parametrize(("endpoint", "expected"), [(e, row[1]) for e, row in BUREAU_ROWS.items()])
def test_permission_matrix_other_bureau_approver(endpoint, expected, bureau_world):
    check_cell(endpoint, "far_bureau", expected, bureau_world)


def test_the_section_work_list_sends_a_bureau_approver_to_their_page(bureau_world):
    response = client_for("bureau", bureau_world).get(reverse("findings:worklist"))
    assert (response.status_code, response["Location"]) == (302, reverse("findings:bureau_worklist"))


def test_the_start_page_counts_the_drafts_and_those_the_approver_may_approve(
    client, finding, people, make_user, section
):
    """The heading's two counts, against the single-report rule (may_approve) asked of each draft."""
    sections = list(Section.objects.filter(bureau=section.bureau).order_by("pk")[:3])
    measures = finding_assign(finding=finding, sections=sections, reply_by=REPLY_BY, by=people.auditor)
    heads = [_head_of(m.section, n) for n, m in enumerate(measures, start=1)]
    reports = [draft(m, h) for m, h in zip(measures, heads, strict=True)]
    # one draft was edited by a 課長 who has since become the 局の代決者: that one he may not approve
    promoted = make_user("promoted_chief", Role.SECTION_HEAD, sections[0], last_name="昇任")
    edit(edit(reports[0], promoted, text="昇任前に直した。"), heads[0], text="課長がまた直した。")
    promoted.role, promoted.section, promoted.bureau = Role.BUREAU_APPROVER, None, section.bureau
    promoted.save()
    drafts = MeasureReport.objects.filter(state=ReportState.DRAFT)
    n_may = sum(may_approve(r, promoted) for r in drafts)
    assert (len(measures), drafts.count(), n_may) == (3, 3, 2)
    client.force_login(promoted)
    page = client.get(reverse("findings:bureau_worklist")).content.decode()
    assert f"承認待ちの下書き（{drafts.count()} 件、うち承認できるもの {n_may} 件）" in page
    assert page.count("あなたが作成・編集したため承認できません") == drafts.count() - n_may
