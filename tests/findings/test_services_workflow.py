"""Workflow services: assignment (who assigns, one measure per section, reassigning and removing a
section) and the transition table (who may save, submit, accept and return a report, in which state).
Every refusal also checks that nothing was written."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from auditreg.models import ChangeLog, Section
from findings.choices import OPEN_REPORT_STATES, TRANSITIONS, Action, ReportState, StatusCode
from findings.models import Measure, MeasureReport
from findings.services import (
    WorkflowError,
    evidence_add,
    finding_assign,
    report_accept,
    report_return,
    report_save_draft,
    report_section_return,
    report_submit,
)

from .services_helpers import PDF, REPLY_BY, draft, edit, report_in_state, snapshot, validation_keys, values

pytestmark = pytest.mark.django_db

# -- 1. assignment ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["admin", "staff1", "head1", "outsider"])
def test_only_the_audit_office_assigns(who, people, finding, section):
    before = snapshot()
    with pytest.raises(PermissionDenied):
        finding_assign(finding=finding, sections=[section], reply_by=REPLY_BY, by=getattr(people, who))
    assert snapshot() == before


def test_assign_creates_one_not_started_measure_per_section(people, opinion, section, other_section):
    assert not opinion.report_sections.exists()  # 意見01 names no section: the audit office chooses
    measures = finding_assign(finding=opinion, sections=[section, other_section], reply_by=REPLY_BY, by=people.auditor)

    assert {m.section for m in measures} == {section, other_section}
    rows = Measure.objects.filter(finding=opinion)
    assert rows.count() == 2
    for m in rows:
        assert m.status.code == StatusCode.NOT_STARTED
        assert m.status.label == "未着手"
        assert m.reply_by == REPLY_BY
        assert m.assigned_by == people.auditor
        assert m.accepted_report is None
    logs = ChangeLog.objects.filter(finding_id=opinion.pk).order_by("pk")
    assert [(log.action, log.actor) for log in logs] == [("measure.assigned", people.auditor)] * 2
    assert {log.changes["section"][1] for log in logs} == {str(section), str(other_section)}
    assert all(log.changes["reply_by"] == [None, "2025-09-30"] for log in logs)


def test_assign_to_the_section_named_by_the_report(people, finding, section):
    assert [fs.section for fs in finding.report_sections.all()] == [section]  # 指摘01: 広報広聴課
    (measure,) = finding_assign(finding=finding, sections=[section], reply_by=None, by=people.auditor)
    assert measure.section == section
    assert measure.status.code == StatusCode.NOT_STARTED
    assert measure.reply_by is None


def test_reassigning_with_a_new_reply_by_updates_and_logs_it(people, finding, section, measure):
    new_date = datetime.date(2025, 12, 26)
    (again,) = finding_assign(finding=finding, sections=[section], reply_by=new_date, by=people.auditor)

    assert again.pk == measure.pk
    assert Measure.objects.filter(finding=finding).count() == 1
    assert Measure.objects.get(pk=measure.pk).reply_by == new_date
    log = ChangeLog.objects.filter(finding_id=finding.pk).order_by("pk").last()
    assert log.action == "measure.reply_by_changed"
    assert log.actor == people.auditor
    assert log.changes == {"reply_by": ["2025-09-30", "2025-12-26"]}


def test_reassigning_unchanged_writes_nothing(people, finding, section, measure):
    before = snapshot()
    finding_assign(finding=finding, sections=[section], reply_by=REPLY_BY, by=people.auditor)
    assert snapshot() == before


def test_removing_a_section_without_reports_deletes_its_measure(people, opinion, section, other_section):
    finding_assign(finding=opinion, sections=[section, other_section], reply_by=REPLY_BY, by=people.auditor)
    removed = Measure.objects.get(finding=opinion, section=other_section)

    (kept,) = finding_assign(finding=opinion, sections=[section], reply_by=REPLY_BY, by=people.auditor)

    assert kept.section == section
    assert not Measure.objects.filter(pk=removed.pk).exists()
    log = ChangeLog.objects.filter(finding_id=opinion.pk).order_by("pk").last()
    assert (log.action, log.actor, log.object_id) == ("measure.unassigned", people.auditor, removed.pk)
    assert log.changes == {"section": [str(other_section), None]}


def test_removing_a_section_with_reports_is_refused(people, finding, section, other_section):
    # 広報広聴課 has a report; 交通政策課 has none: neither may change when the call is refused.
    with_report, without = finding_assign(
        finding=finding, sections=[section, other_section], reply_by=REPLY_BY, by=people.auditor
    )
    draft(with_report, people.staff1)
    third = Section.objects.get(bureau__name="都市政策局", name="地域力再生課")
    before = snapshot()

    with pytest.raises(WorkflowError, match="報告または根拠資料があるため"):
        finding_assign(finding=finding, sections=[third], reply_by=REPLY_BY, by=people.auditor)

    assert snapshot() == before
    assert Measure.objects.filter(pk=without.pk).exists()


def test_removing_a_section_with_evidence_only_is_refused_cleanly(people, finding, section, other_section):
    finding_assign(finding=finding, sections=[section, other_section], reply_by=REPLY_BY, by=people.auditor)
    measure = Measure.objects.get(finding=finding, section=section)
    evidence_add(measure=measure, by=people.staff1, upload=SimpleUploadedFile("規程.pdf", PDF))
    before = snapshot()

    with pytest.raises(WorkflowError):
        finding_assign(finding=finding, sections=[other_section], reply_by=REPLY_BY, by=people.auditor)
    assert snapshot() == before


@pytest.mark.parametrize("sections", [[], None])
def test_empty_section_list_is_refused(people, finding, measure, sections):
    before = snapshot()
    with pytest.raises(WorkflowError):
        finding_assign(finding=finding, sections=sections, reply_by=REPLY_BY, by=people.auditor)
    assert snapshot() == before
    assert Measure.objects.filter(pk=measure.pk).exists()


# -- 2. the transition table -------------------------------------------------------------------

STATES = [
    None,
    ReportState.DRAFT,
    ReportState.SUBMITTED,
    ReportState.RETURNED,
    ReportState.REVISING,
    ReportState.ACCEPTED,
]
ROLE_USERS = {"section_staff": "staff1", "section_head": "head1", "auditor": "auditor", "admin": "admin"}
CASES = [
    (action, state, role)
    for action in Action
    for state in STATES
    for role in ROLE_USERS
    if state is not None or action == Action.SAVE_DRAFT  # submit/accept/return need a report
]


def run(action, *, measure, report, by):
    if action == Action.SAVE_DRAFT:
        open_report = report if report is not None and report.state in OPEN_REPORT_STATES else None
        return report_save_draft(
            measure=measure,
            by=by,
            values=values(text="改訂した内容"),
            version=open_report.version if open_report else None,
        )
    if action == Action.SUBMIT:
        return report_submit(report=report, by=by)
    if action == Action.ACCEPT:
        return report_accept(report=report, by=by, comment="受理します。")
    if action == Action.SECTION_RETURN:
        return report_section_return(report=report, by=by, comment="表現を直してください。")
    return report_return(report=report, by=by, comment="措置の時期を記入してください。")


@pytest.mark.parametrize(("action", "state", "role"), CASES, ids=[f"{a}-{s}-{r}" for a, s, r in CASES])
def test_transition_table(action, state, role, measure, people):
    """Each action × starting state × role does exactly what TRANSITIONS says."""
    report = report_in_state(state, measure, people)
    user = getattr(people, ROLE_USERS[role])
    starts, target, roles = TRANSITIONS[action]
    # save_draft acts on the measure's open report; an accepted one is closed, so a new report starts
    start = (state if state in OPEN_REPORT_STATES else None) if action == Action.SAVE_DRAFT else state
    before = snapshot()
    n_logs = ChangeLog.objects.count()

    if role not in roles:
        with pytest.raises(PermissionDenied):
            run(action, measure=measure, report=report, by=user)
        assert snapshot() == before
    elif start not in starts:
        with pytest.raises(WorkflowError):
            run(action, measure=measure, report=report, by=user)
        assert snapshot() == before
    else:
        result = run(action, measure=measure, report=report, by=user)
        assert result.state == target
        assert MeasureReport.objects.get(pk=result.pk).state == target
        assert ChangeLog.objects.count() == n_logs + 1
        if action == Action.SAVE_DRAFT and state == ReportState.ACCEPTED:
            assert result.pk != report.pk  # a new report; the accepted one is history


@pytest.mark.parametrize("who", ["staff1", "head1"])
def test_section_staff_and_head_save_drafts(who, measure, people):
    user = getattr(people, who)
    report = draft(measure, user, text="初版")
    assert (report.state, report.version, report.drafted_by, report.last_edited_by) == (
        ReportState.DRAFT,
        1,
        user,
        user,
    )

    edited = edit(report, user, text="第2版")
    assert (edited.pk, edited.version, edited.text) == (report.pk, 2, "第2版")
    assert MeasureReport.objects.get(pk=report.pk).text == "第2版"


@pytest.mark.parametrize("who", ["auditor", "admin", "outsider", "outsider_head"])
def test_others_cannot_save_drafts(who, measure, people):
    before = snapshot()
    with pytest.raises(PermissionDenied):
        draft(measure, getattr(people, who))
    assert snapshot() == before

    report = draft(measure, people.staff1)
    before = snapshot()
    with pytest.raises(PermissionDenied):
        report_save_draft(
            measure=measure, by=getattr(people, who), values=values(text="他課の編集"), version=report.version
        )
    assert snapshot() == before


def test_head_submits_a_staff_draft(measure, people):
    report = draft(measure, people.staff1)
    submitted = report_submit(report=report, by=people.head1)
    row = MeasureReport.objects.get(pk=report.pk)
    assert row.state == ReportState.SUBMITTED == submitted.state
    assert row.approved_by == people.head1
    assert row.approved_at is not None


@pytest.mark.parametrize("who", ["staff1", "staff2", "outsider", "outsider_head", "auditor", "admin"])
def test_only_a_head_of_the_section_submits(who, measure, people):
    report = draft(measure, people.staff1)
    before = snapshot()
    with pytest.raises(PermissionDenied):
        report_submit(report=report, by=getattr(people, who))
    assert snapshot() == before


def test_head_who_drafted_cannot_submit(measure, people):
    report = draft(measure, people.head1)
    before = snapshot()
    with pytest.raises(WorkflowError, match="別の課長"):
        report_submit(report=report, by=people.head1)
    assert snapshot() == before
    assert report_submit(report=report, by=people.head2).approved_by == people.head2


def test_head_who_last_edited_cannot_submit(measure, people):
    report = draft(measure, people.staff1)
    edit(report, people.head1, text="課長が書き直した内容")
    before = snapshot()
    with pytest.raises(WorkflowError):
        report_submit(report=report, by=people.head1)
    assert snapshot() == before
    assert report_submit(report=report, by=people.head2).state == ReportState.SUBMITTED


@pytest.mark.parametrize("state", [ReportState.SUBMITTED, ReportState.RETURNED, ReportState.ACCEPTED])
def test_submit_only_from_draft(state, measure, people):
    report = report_in_state(state, measure, people)
    before = snapshot()
    with pytest.raises(WorkflowError):
        report_submit(report=report, by=people.head2)
    assert snapshot() == before


@pytest.mark.parametrize("action", [Action.ACCEPT, Action.RETURN])
@pytest.mark.parametrize("who", ["staff1", "head2", "admin", "outsider_head"])
def test_only_the_auditor_reviews(action, who, measure, people):
    report = report_in_state(ReportState.SUBMITTED, measure, people)
    before = snapshot()
    with pytest.raises(PermissionDenied):
        run(action, measure=measure, report=report, by=getattr(people, who))
    assert snapshot() == before


@pytest.mark.parametrize("action", [Action.ACCEPT, Action.RETURN])
@pytest.mark.parametrize("state", [ReportState.DRAFT, ReportState.RETURNED, ReportState.ACCEPTED])
def test_review_only_from_submitted(action, state, measure, people):
    report = report_in_state(state, measure, people)
    before = snapshot()
    with pytest.raises(WorkflowError):
        run(action, measure=measure, report=report, by=people.auditor)
    assert snapshot() == before


@pytest.mark.parametrize("comment", ["", "   \n", None])
def test_return_needs_a_comment(comment, measure, people):
    report = report_in_state(ReportState.SUBMITTED, measure, people)
    before = snapshot()
    with pytest.raises(ValidationError) as excinfo:
        report_return(report=report, by=people.auditor, comment=comment)
    assert validation_keys(excinfo) == {"comment"}
    assert snapshot() == before


def test_returned_report_is_revised_and_resubmitted_by_another_head(measure, people):
    report = report_in_state(ReportState.SUBMITTED, measure, people)
    returned = report_return(report=report, by=people.auditor, comment="完了予定日を記入してください。")
    row = MeasureReport.objects.get(pk=report.pk)
    assert row.state == ReportState.RETURNED == returned.state
    assert (row.reviewed_by, row.review_comment) == (people.auditor, "完了予定日を記入してください。")
    assert row.approved_by is None and row.approved_at is None

    revised = report_save_draft(
        measure=measure, by=people.head1, values=values(text="完了予定日を追記した。"), version=row.version
    )
    row.refresh_from_db()
    assert revised.pk == report.pk  # the same report is revised, not a new one
    assert (row.state, row.text, row.last_edited_by) == (ReportState.DRAFT, "完了予定日を追記した。", people.head1)
    assert row.approved_by is None and row.approved_at is None
    with pytest.raises(WorkflowError):  # head1 revised it, so head1 may not approve it
        report_submit(report=row, by=people.head1)

    report_submit(report=row, by=people.head2)
    row.refresh_from_db()
    assert (row.state, row.approved_by) == (ReportState.SUBMITTED, people.head2)
    accepted = report_accept(report=row, by=people.auditor)
    assert accepted.state == ReportState.ACCEPTED


def test_accept_updates_the_measure_and_next_draft_is_a_new_report(measure, people):
    report = draft(measure, people.staff1, code=StatusCode.DONE)
    report_submit(report=report, by=people.head1)
    report_accept(report=report, by=people.auditor, comment="確認しました。")

    measure.refresh_from_db()
    assert measure.status.code == StatusCode.DONE
    assert measure.accepted_report_id == report.pk
    accepted_row = MeasureReport.objects.filter(pk=report.pk).values().get()
    assert accepted_row["state"] == ReportState.ACCEPTED
    assert accepted_row["reviewed_by_id"] == people.auditor.pk
    assert accepted_row["review_comment"] == "確認しました。"

    follow_up = report_save_draft(measure=measure, by=people.staff2, values=values(text="追加の報告"), version=None)

    assert follow_up.pk != report.pk
    assert follow_up.state == ReportState.DRAFT and follow_up.version == 1
    assert MeasureReport.objects.filter(pk=report.pk).values().get() == accepted_row  # history untouched
    assert measure.reports.count() == 2
    measure.refresh_from_db()
    assert measure.accepted_report_id == report.pk  # official status stays until the next acceptance
    assert measure.status.code == StatusCode.DONE
