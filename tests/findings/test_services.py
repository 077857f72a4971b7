"""Workflow services: assignment, the transition table, validation, the 指摘01 control (service and
database), stale edits, history completeness and evidence upload. Every refusal also checks that
nothing was written."""

import datetime
import hashlib
import io
import re
from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from auditreg.choices import Role
from auditreg.models import ChangeLog, Section
from findings import services
from findings.choices import OPEN_REPORT_STATES, TRANSITIONS, Action, ReportState, StatusCode
from findings.models import EvidenceFile, Finding, Measure, MeasureReport, MeasureStatus
from findings.services import (
    StaleEdit,
    WorkflowError,
    evidence_add,
    finding_assign,
    report_accept,
    report_return,
    report_save_draft,
    report_section_return,
    report_submit,
)

pytestmark = pytest.mark.django_db

REPLY_BY = datetime.date(2025, 9, 30)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


# -- fixtures and helpers ----------------------------------------------------------------------


@dataclass
class People:
    auditor: object
    admin: object
    staff1: object
    staff2: object
    head1: object
    head2: object
    outsider: object  # staff of another section
    outsider_head: object


@pytest.fixture
def section(db):
    return Section.objects.get(bureau__name="都市政策局", name="広報広聴課")


@pytest.fixture
def other_section(db):
    return Section.objects.get(bureau__name="都市政策局", name="交通政策課")


@pytest.fixture
def people(make_user, section, other_section):
    return People(
        auditor=make_user("auditor", Role.AUDITOR, last_name="監査"),
        admin=make_user("admin", Role.ADMIN, last_name="管理"),
        staff1=make_user("staff1", Role.SECTION_STAFF, section, last_name="担当一"),
        staff2=make_user("staff2", Role.SECTION_STAFF, section, last_name="担当二"),
        head1=make_user("head1", Role.SECTION_HEAD, section, last_name="課長一"),
        head2=make_user("head2", Role.SECTION_HEAD, section, last_name="課長二"),
        outsider=make_user("outsider", Role.SECTION_STAFF, other_section, last_name="他課"),
        outsider_head=make_user("outsider_head", Role.SECTION_HEAD, other_section, last_name="他課長"),
    )


@pytest.fixture
def finding(report):
    return Finding.objects.get(report=report, code="指摘01")


@pytest.fixture
def opinion(report):
    return Finding.objects.get(report=report, code="意見01")


@pytest.fixture
def measure(finding, section, people):
    (measure,) = finding_assign(finding=finding, sections=[section], reply_by=REPLY_BY, by=people.auditor)
    return measure


def status(code) -> MeasureStatus:
    return MeasureStatus.objects.get(code=code)


def values(code=StatusCode.IN_PROGRESS, **overrides) -> dict:
    result = {
        "status": status(code),
        "reported_on": datetime.date(2025, 6, 30),
        "text": "ID とパスワードの管理手順を改め、作成者と承認者を分けた。",
        "planned_completion_on": datetime.date(2026, 3, 31),
        "completed_on": datetime.date(2025, 6, 1) if code == StatusCode.DONE else None,
        "reason": "",
    }
    return result | overrides


def snapshot() -> dict:
    """Every row the services write, to prove that a refused action wrote nothing."""
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Measure, MeasureReport, ChangeLog, EvidenceFile)
    }


def draft(measure, by, **overrides) -> MeasureReport:
    return report_save_draft(measure=measure, by=by, values=values(**overrides), version=None)


def edit(report, by, **overrides) -> MeasureReport:
    report.refresh_from_db()
    return report_save_draft(measure=report.measure, by=by, values=values(**overrides), version=report.version)


def report_in_state(state, measure, p: People) -> MeasureReport | None:
    """A report of `measure` in `state`, brought there through the services (drafted by staff1,
    approved by head1, reviewed by the auditor)."""
    if state is None:
        return None
    report = draft(measure, p.staff1)
    if state == ReportState.DRAFT:
        return report
    if state == ReportState.REVISING:
        return report_section_return(report=report, by=p.head1, comment="語句を直してください。")
    report = report_submit(report=report, by=p.head1)
    if state == ReportState.SUBMITTED:
        return report
    if state == ReportState.RETURNED:
        return report_return(report=report, by=p.auditor, comment="根拠資料を添付してください。")
    return report_accept(report=report, by=p.auditor, comment="受理します。")


def validation_keys(excinfo) -> set:
    return set(excinfo.value.message_dict)


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


# -- 3. validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"code": StatusCode.NOT_TAKING, "reason": ""}, "reason"),
        ({"code": StatusCode.NOT_TAKING, "reason": "  \n "}, "reason"),
        ({"code": StatusCode.DONE, "completed_on": None}, "completed_on"),
        ({"code": StatusCode.IN_PROGRESS, "completed_on": datetime.date(2025, 6, 1)}, "completed_on"),
        ({"code": StatusCode.NOT_STARTED}, "status"),
        ({"code": StatusCode.PLANNED, "text": ""}, "text"),
        ({"code": StatusCode.PLANNED, "text": None}, "text"),
        ({"code": StatusCode.IN_PROGRESS, "text": "　 \n"}, "text"),
    ],
    ids=[
        "no-reason",
        "blank-reason",
        "done-no-date",
        "date-not-done",
        "not-started",
        "no-text",
        "none-text",
        "blank-text",
    ],
)
def test_invalid_reports_are_refused(overrides, key, measure, people):
    before = snapshot()
    with pytest.raises(ValidationError) as excinfo:
        draft(measure, people.staff1, **overrides)
    assert validation_keys(excinfo) == {key}
    assert snapshot() == before


def test_invalid_edit_of_an_existing_draft_is_refused(measure, people):
    report = draft(measure, people.staff1)
    before = snapshot()
    with pytest.raises(ValidationError) as excinfo:
        edit(report, people.staff2, code=StatusCode.NOT_TAKING, reason="")
    assert validation_keys(excinfo) == {"reason"}
    assert snapshot() == before


@pytest.mark.parametrize(
    "overrides",
    [
        {"code": StatusCode.NOT_TAKING, "reason": "費用対効果が見込めないため。", "text": ""},
        {"code": StatusCode.DONE},
        {"code": StatusCode.PLANNED},
    ],
)
def test_valid_reports_are_saved(overrides, measure, people):
    report = draft(measure, people.staff1, **overrides)
    row = MeasureReport.objects.get(pk=report.pk)
    assert row.status.code == overrides["code"]
    assert row.state == ReportState.DRAFT


# -- 4. the database enforces 指摘01 too ------------------------------------------------------


def test_db_refuses_approval_by_the_drafter(measure, people):
    report = draft(measure, people.head1)
    with pytest.raises(IntegrityError), transaction.atomic():
        MeasureReport.objects.filter(pk=report.pk).update(approved_by=people.head1, approved_at=timezone.now())
    assert MeasureReport.objects.get(pk=report.pk).approved_by is None


def test_db_refuses_approval_by_the_last_editor(measure, people):
    report = draft(measure, people.staff1)
    edit(report, people.head1, text="課長の編集")
    with pytest.raises(IntegrityError), transaction.atomic():
        MeasureReport.objects.filter(pk=report.pk).update(approved_by=people.head1, approved_at=timezone.now())
    assert MeasureReport.objects.get(pk=report.pk).approved_by is None

    # control: someone else may be recorded as the approver
    MeasureReport.objects.filter(pk=report.pk).update(approved_by=people.head2, approved_at=timezone.now())
    assert MeasureReport.objects.get(pk=report.pk).approved_by == people.head2


# -- 5. stale edits ----------------------------------------------------------------------------


def test_second_save_on_the_same_version_is_stale(measure, people):
    report = draft(measure, people.staff1, text="初版")
    opened_version = report.version  # staff2 and head1 both open the form on this version

    first = report_save_draft(
        measure=measure, by=people.staff2, values=values(text="担当二の修正"), version=opened_version
    )
    assert first.version == opened_version + 1
    before = snapshot()

    with pytest.raises(StaleEdit) as excinfo:
        report_save_draft(measure=measure, by=people.head1, values=values(text="課長一の修正"), version=opened_version)

    current = excinfo.value.current
    assert (current.pk, current.version, current.text) == (report.pk, opened_version + 1, "担当二の修正")
    assert current.last_edited_by == people.staff2
    assert str(excinfo.value) == "他の人がこの報告を先に更新しました。"
    assert snapshot() == before
    assert MeasureReport.objects.get(pk=report.pk).text == "担当二の修正"


def test_two_new_report_forms_second_is_stale(measure, people):
    first = draft(measure, people.staff1, text="担当一の新規報告")
    before = snapshot()
    with pytest.raises(StaleEdit) as excinfo:
        draft(measure, people.staff2, text="担当二の新規報告")
    assert excinfo.value.current.pk == first.pk
    assert excinfo.value.current.text == "担当一の新規報告"
    assert snapshot() == before


def test_saving_a_form_opened_on_a_since_accepted_report_is_stale(measure, people):
    report = report_in_state(ReportState.ACCEPTED, measure, people)
    before = snapshot()
    with pytest.raises(StaleEdit) as excinfo:
        report_save_draft(measure=measure, by=people.staff2, values=values(text="古い画面から"), version=report.version)
    assert excinfo.value.current.pk == report.pk
    assert snapshot() == before


# -- 6. history --------------------------------------------------------------------------------


def test_full_flow_is_recorded_in_order_with_before_and_after(finding, section, people):
    (measure,) = finding_assign(finding=finding, sections=[section], reply_by=REPLY_BY, by=people.auditor)
    report = draft(measure, people.staff1, code=StatusCode.PLANNED, text="初版の内容")
    edit(report, people.staff2, code=StatusCode.IN_PROGRESS, text="修正した内容")
    report_submit(report=report, by=people.head1)
    report_return(report=report, by=people.auditor, comment="完了予定日を具体的に。")
    edit(report, people.staff1, text="差戻し後の内容")
    report_submit(report=report, by=people.head2)
    report_accept(report=report, by=people.auditor, comment="受理")

    logs = list(ChangeLog.objects.filter(finding_id=finding.pk).order_by("pk"))
    assert [(log.action, log.actor.username) for log in logs] == [
        ("measure.assigned", "auditor"),
        ("report.created", "staff1"),
        ("report.edited", "staff2"),
        ("report.submitted", "head1"),
        ("report.returned", "auditor"),
        ("report.edited", "staff1"),
        ("report.submitted", "head2"),
        ("report.accepted", "auditor"),
    ]
    assert [log.at for log in logs] == sorted(log.at for log in logs)
    assigned, created, edited, submitted, returned, revised, resubmitted, accepted = logs

    assert (assigned.object_type, assigned.object_id) == ("findings.measure", measure.pk)
    assert assigned.changes == {"section": [None, str(section)], "reply_by": [None, "2025-09-30"]}
    assert all((log.object_type, log.object_id) == ("findings.measurereport", report.pk) for log in logs[1:])

    assert created.changes["text"] == [None, "初版の内容"]
    assert created.changes["status"] == [None, "措置予定・検討中"]
    assert created.changes["state"] == [None, "draft"]
    assert created.changes["reported_on"] == [None, "2025-06-30"]

    assert edited.changes == {"status": ["措置予定・検討中", "措置中"], "text": ["初版の内容", "修正した内容"]}
    assert submitted.changes == {"state": ["draft", "submitted"]}
    assert returned.changes == {"state": ["submitted", "returned"]}
    assert returned.comment == "完了予定日を具体的に。"
    assert revised.changes == {"text": ["修正した内容", "差戻し後の内容"], "state": ["returned", "draft"]}
    assert resubmitted.changes == {"state": ["draft", "submitted"]}
    assert accepted.changes == {"state": ["submitted", "accepted"], "status": ["未着手", "措置中"]}
    assert accepted.comment == "受理"


# -- 7. evidence -------------------------------------------------------------------------------


def evidence_storage():
    return EvidenceFile._meta.get_field("file").storage


def stored_files() -> set:
    """Every file name under evidence/ in the evidence storage (in memory under test settings)."""
    storage, names, stack = evidence_storage(), set(), ["evidence"]
    while stack:
        folder = stack.pop()
        try:
            dirs, files = storage.listdir(folder)
        except FileNotFoundError:
            continue
        names |= {f"{folder}/{f}" for f in files}
        stack += [f"{folder}/{d}" for d in dirs]
    return names


STORED_NAME = re.compile(r"^evidence/\d+/[0-9a-f]{32}$")


def test_valid_pdf_is_stored_with_hash_and_size(measure, people):
    report = draft(measure, people.staff1)
    files_before = stored_files()

    evidence = evidence_add(measure=measure, by=people.staff1, upload=SimpleUploadedFile("規程改正.pdf", PDF))

    row = EvidenceFile.objects.get(pk=evidence.pk)
    assert row.sha256 == hashlib.sha256(PDF).hexdigest()
    assert row.size == len(PDF)
    assert (row.original_name, row.content_type) == ("規程改正.pdf", "application/pdf")
    assert (row.measure, row.report, row.uploaded_by) == (measure, report, people.staff1)
    assert row.file.name.startswith(f"evidence/{measure.pk}/")
    assert STORED_NAME.match(row.file.name)
    assert stored_files() - files_before == {row.file.name}
    with evidence_storage().open(row.file.name) as stored:
        assert stored.read() == PDF
    log = ChangeLog.objects.filter(finding_id=measure.finding_id).order_by("pk").last()
    assert (log.action, log.actor) == ("evidence.added", people.staff1)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00"),
        ("no-extension", PDF),
        ("偽装.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00"),
        ("偽装.png", PDF),
        ("空.pdf", b""),
        ("shift_jis.csv", "番号,名称\n1,広報広聴課\n".encode("cp932")),
    ],
    ids=["exe", "no-extension", "mz-as-pdf", "pdf-as-png", "empty", "not-utf8-csv"],
)
def test_bad_files_are_refused(name, content, measure, people):
    before, files_before = snapshot(), stored_files()
    with pytest.raises(ValidationError) as excinfo:
        evidence_add(measure=measure, by=people.staff1, upload=SimpleUploadedFile(name, content))
    assert validation_keys(excinfo) == {"file"}
    assert snapshot() == before
    assert stored_files() == files_before


def test_file_over_the_size_limit_is_refused(measure, people, monkeypatch):
    monkeypatch.setattr(services, "MAX_EVIDENCE_BYTES", 16)
    before, files_before = snapshot(), stored_files()
    with pytest.raises(ValidationError) as excinfo:
        evidence_add(measure=measure, by=people.staff1, upload=SimpleUploadedFile("大きい.pdf", PDF))
    assert validation_keys(excinfo) == {"file"}
    assert snapshot() == before
    assert stored_files() == files_before

    small = b"%PDF-1.4\n%%EOF\n"
    assert len(small) <= 16
    assert evidence_add(measure=measure, by=people.staff1, upload=SimpleUploadedFile("小さい.pdf", small)).size == 15


@pytest.mark.parametrize(
    "upload",
    [
        lambda: SimpleUploadedFile("../../etc/passwd.pdf", PDF),
        # a file object whose name nobody sanitised before the service (not an UploadedFile)
        lambda: File(io.BytesIO(PDF), name="../../etc/passwd.pdf"),
        lambda: File(io.BytesIO(PDF), name="..\\..\\etc\\passwd.pdf"),
    ],
    ids=["uploaded-file", "raw-file", "backslashes"],
)
def test_path_traversal_names_are_not_used_for_storage(upload, measure, people):
    evidence = evidence_add(measure=measure, by=people.staff1, upload=upload())
    row = EvidenceFile.objects.get(pk=evidence.pk)
    assert row.original_name == "passwd.pdf"
    assert STORED_NAME.match(row.file.name), row.file.name
    assert ".." not in row.file.name and "passwd" not in row.file.name
    assert row.sha256 == hashlib.sha256(PDF).hexdigest()


@pytest.mark.parametrize("who", ["outsider", "outsider_head", "auditor", "admin"])
def test_evidence_only_from_the_section(who, measure, people):
    before, files_before = snapshot(), stored_files()
    with pytest.raises(PermissionDenied):
        evidence_add(measure=measure, by=getattr(people, who), upload=SimpleUploadedFile("資料.pdf", PDF))
    assert snapshot() == before
    assert stored_files() == files_before


def test_text_evidence_in_utf8_is_accepted(measure, people):
    content = "番号,名称\n1,広報広聴課\n".encode()
    evidence = evidence_add(measure=measure, by=people.head1, upload=SimpleUploadedFile("一覧.csv", content))
    assert (evidence.content_type, evidence.size) == ("text/csv", len(content))
    assert evidence.sha256 == hashlib.sha256(content).hexdigest()


def test_long_file_name_keeps_its_extension(measure, people):
    name = "令和6年度包括外部監査に係る措置の根拠資料" * 10 + ".pdf"  # 214 characters
    evidence = evidence_add(measure=measure, by=people.staff1, upload=SimpleUploadedFile(name, PDF))
    assert evidence.original_name.endswith(".pdf")
    assert len(evidence.original_name) <= 200


def test_anyone_who_ever_edited_the_draft_cannot_approve_it(measure, people):
    """Not only the creator and the last editor: head1 edited in between, so head1 may not approve."""
    report = draft(measure, people.staff1)
    report = edit(report, people.head1, text="課長が加筆した。")
    report = edit(report, people.staff1, text="担当が最終版にした。")
    before = snapshot()
    with pytest.raises(WorkflowError, match="承認できません"):
        report_submit(report=report, by=people.head1)
    assert snapshot() == before
    assert report_submit(report=report, by=people.head2).state == ReportState.SUBMITTED


def test_no_evidence_can_be_added_while_the_approved_report_awaits_review(measure, people):
    report = draft(measure, people.staff1)
    report_submit(report=report, by=people.head1)
    before = snapshot()
    with pytest.raises(WorkflowError, match="審査中"):
        evidence_add(measure=measure, by=people.staff1, upload=SimpleUploadedFile("追加.pdf", PDF))
    assert snapshot() == before


def test_done_needs_the_measure_text_too(measure, people):
    with pytest.raises(ValidationError) as excinfo:
        draft(measure, people.staff1, code=StatusCode.DONE, text="")
    assert "text" in excinfo.value.message_dict
