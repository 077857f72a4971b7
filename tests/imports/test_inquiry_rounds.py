"""Inquiry rounds (照会): creation rules and permissions, scoping of the selectors, the per-section
states (not opened, downloaded, answered, approved, overdue) and their query count."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from auditreg.choices import Role
from auditreg.models import ChangeLog
from findings import services
from findings.models import Finding, MeasureReport
from imports import inquiry, pipeline
from imports.choices import BatchKind, ResponseState
from imports.models import InquiryItem, InquiryResponse, InquiryRound
from tests.imports.test_inquiry_common import (
    AFTER_DEADLINE,
    BEFORE_DEADLINE,
    REPLY_BY,
    big_round,
    build_world,
    draft,
    edit,
    upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(make_user, report):
    return build_world(make_user, report)


def states(round_, today) -> dict:
    return {row.section.pk: row.state for row in inquiry.section_states(round_, today)}


def answer(w, by, changes, round_=None):
    """Download, edit and upload+confirm as `by` (a section user)."""
    round_ = round_ or w.round
    content = inquiry.section_workbook(inquiry_round=round_, section=by.section, by=by)
    batch = pipeline.stage(
        kind=BatchKind.INQUIRY, upload=upload(edit(content, changes)), by=by, inquiry_round=round_, section=by.section
    )
    assert batch.problems == []
    return pipeline.confirm(batch=batch, by=by)


# -- creation ---------------------------------------------------------------------------------


def test_round_includes_only_assigned_finding_section_pairs(w):
    items = set(InquiryItem.objects.filter(round=w.round).values_list("measure_id", flat=True))
    # 指摘01 × both sections, 意見03 × section, 意見16 × other; 意見17 (assigned, not chosen) is not in it,
    # and the chosen section without any measure of the chosen findings gets no response
    assert items == {w.m01.pk, w.m03.pk, w.m01_other.pk, w.m16_other.pk}
    responses = set(InquiryResponse.objects.filter(round=w.round).values_list("section_id", flat=True))
    assert responses == {w.section.pk, w.other.pk}
    assert w.outside.pk not in responses
    entry = ChangeLog.objects.get(action="inquiry.created", object_id=w.round.pk)
    assert entry.actor == w.auditor
    assert entry.changes["measures"] == [None, 4] and entry.changes["sections"] == [None, 2]
    assert w.round.created_by == w.auditor and w.round.note == "9月末までに回答してください。"


def test_round_with_no_assigned_pair_is_refused_and_writes_nothing(w, report):
    before = (InquiryRound.objects.count(), InquiryItem.objects.count(), ChangeLog.objects.count())
    unassigned = Finding.objects.get(report=report, code="意見30")
    with pytest.raises(ValidationError) as exc:
        inquiry.round_create(
            title="空の照会", reply_by=REPLY_BY, findings=[unassigned], sections=[w.section], by=w.auditor
        )
    assert "割り当て済みの措置がありません" in exc.value.messages[0]
    # a finding assigned to another section only: nothing either
    with pytest.raises(ValidationError):
        inquiry.round_create(
            title="空の照会",
            reply_by=REPLY_BY,
            findings=[Finding.objects.get(report=report, code="意見16")],
            sections=[w.section],
            by=w.auditor,
        )
    assert (InquiryRound.objects.count(), InquiryItem.objects.count(), ChangeLog.objects.count()) == before


def test_round_needs_title_and_reply_by(w, report):
    findings = [Finding.objects.get(report=report, code="指摘01")]
    with pytest.raises(ValidationError) as exc:
        inquiry.round_create(title="  ", reply_by=None, findings=findings, sections=[w.section], by=w.auditor)
    assert set(exc.value.message_dict) == {"title", "reply_by"}


@pytest.mark.parametrize("who", ["staff", "head", "admin", "other_staff"])
def test_only_the_audit_office_creates_rounds(w, report, who):
    before = InquiryRound.objects.count()
    with pytest.raises(PermissionDenied):
        inquiry.round_create(
            title="照会",
            reply_by=REPLY_BY,
            findings=[Finding.objects.get(report=report, code="指摘01")],
            sections=[w.section],
            by=getattr(w, who),
        )
    assert InquiryRound.objects.count() == before


# -- scoping ----------------------------------------------------------------------------------


def test_rounds_are_scoped_to_the_sections_they_include(w):
    assert list(inquiry.rounds_for(w.auditor)) == [w.round]
    assert list(inquiry.rounds_for(w.admin)) == [w.round]
    assert list(inquiry.rounds_for(w.staff)) == [w.round]
    assert list(inquiry.rounds_for(w.other_head)) == [w.round]
    assert list(inquiry.rounds_for(w.outside_staff)) == []
    with pytest.raises(Http404):
        inquiry.round_detail(w.outside_staff, w.round.pk)


def test_a_section_user_sees_only_its_own_rows_and_items(w):
    detail = inquiry.round_detail(w.staff, w.round.pk, today=BEFORE_DEADLINE)
    assert [r.section for r in detail.rows] == [w.section]
    assert detail.own.section == w.section
    assert {m.pk for m in detail.items} == {w.m01.pk, w.m03.pk}
    office = inquiry.round_detail(w.auditor, w.round.pk, today=BEFORE_DEADLINE)
    assert {r.section.pk for r in office.rows} == {w.section.pk, w.other.pk}
    assert office.own is None
    assert {m.pk for m in office.items} == {w.m01.pk, w.m03.pk, w.m01_other.pk, w.m16_other.pk}


# -- states -----------------------------------------------------------------------------------


def test_states_not_opened_downloaded_and_overdue(w):
    assert states(w.round, BEFORE_DEADLINE) == {
        w.section.pk: ResponseState.NOT_OPENED,
        w.other.pk: ResponseState.NOT_OPENED,
    }
    assert states(w.round, REPLY_BY) == {w.section.pk: ResponseState.NOT_OPENED, w.other.pk: ResponseState.NOT_OPENED}
    assert set(states(w.round, AFTER_DEADLINE).values()) == {ResponseState.OVERDUE}
    # the office downloading a section's workbook for support does not mark it downloaded
    inquiry.section_workbook(inquiry_round=w.round, section=w.section, by=w.auditor)
    assert states(w.round, BEFORE_DEADLINE)[w.section.pk] == ResponseState.NOT_OPENED
    inquiry.section_workbook(inquiry_round=w.round, section=w.section, by=w.staff)
    assert states(w.round, BEFORE_DEADLINE) == {
        w.section.pk: ResponseState.DOWNLOADED,
        w.other.pk: ResponseState.NOT_OPENED,
    }
    assert states(w.round, AFTER_DEADLINE)[w.section.pk] == ResponseState.OVERDUE


def test_states_answered_then_approved_after_the_head_submits(w):
    answer(
        w,
        w.staff,
        {
            w.m01: {"措置状況": "措置中", "措置（対応）の内容": "ID を分けた。"},
            w.m03: {"措置状況": "措置予定・検討中", "措置（対応）の内容": "検討する。"},
        },
    )
    assert states(w.round, BEFORE_DEADLINE)[w.section.pk] == ResponseState.ANSWERED
    # an answer is never overdue, even after the deadline
    assert states(w.round, AFTER_DEADLINE)[w.section.pk] == ResponseState.ANSWERED
    assert states(w.round, AFTER_DEADLINE)[w.other.pk] == ResponseState.OVERDUE
    first, second = (MeasureReport.objects.get(measure=m) for m in (w.m01, w.m03))
    services.report_submit(report=first, by=w.head)
    assert states(w.round, BEFORE_DEADLINE)[w.section.pk] == ResponseState.ANSWERED  # one still a draft
    services.report_submit(report=second, by=w.head)
    assert states(w.round, BEFORE_DEADLINE)[w.section.pk] == ResponseState.APPROVED
    row = next(r for r in inquiry.section_states(w.round, BEFORE_DEADLINE) if r.section == w.section)
    assert (row.n_items, row.n_unreported, row.n_open, row.n_approved) == (2, 0, 0, 2)
    # returned by the audit office: back to the section (answered, not approved)
    services.report_return(report=first, by=w.auditor, comment="根拠を添えてください。")
    assert states(w.round, BEFORE_DEADLINE)[w.section.pk] == ResponseState.ANSWERED


def test_answer_confirming_already_approved_reports_counts_as_approved(w):
    # both measures already have reports the head approved before the round's answer
    for m in (w.m01, w.m03):
        services.report_submit(report=draft(m, w.staff), by=w.head)
    answer(w, w.staff, {})  # uploaded as downloaded: nothing changes
    assert states(w.round, BEFORE_DEADLINE)[w.section.pk] == ResponseState.APPROVED


def test_answer_leaving_a_measure_unreported_is_not_approved(w):
    answer(w, w.staff, {w.m01: {"措置状況": "措置中", "措置（対応）の内容": "進めている。"}})
    services.report_submit(report=MeasureReport.objects.get(measure=w.m01), by=w.head)
    assert states(w.round, BEFORE_DEADLINE)[w.section.pk] == ResponseState.ANSWERED  # 意見03 has no report


# -- query counts -----------------------------------------------------------------------------


@pytest.mark.slow
def test_section_states_query_count_does_not_grow(make_user, report, django_assert_num_queries):
    small, _ = big_round(make_user, 10)  # 1 section
    large, _ = big_round(make_user, 60)  # 6 sections, 60 measures
    with django_assert_num_queries(2):
        small_rows = inquiry.section_states(small, BEFORE_DEADLINE)
    with django_assert_num_queries(2):
        large_rows = inquiry.section_states(large, BEFORE_DEADLINE)
    assert len(small_rows) == 1 and len(large_rows) == 6
    assert sum(r.n_items for r in large_rows) == 60
    assert {r.state for r in large_rows} == {ResponseState.DOWNLOADED, ResponseState.ANSWERED}
    # many rounds at once (the list page): still two queries
    lister = make_user("lister", Role.AUDITOR)
    with django_assert_num_queries(2):
        summaries = inquiry.round_list(lister, [small, large], BEFORE_DEADLINE)
    assert [s.n_items for s in summaries] == [10, 60]


def test_unassigning_a_measure_that_is_in_a_round_is_refused_with_a_message(w):
    with pytest.raises(services.WorkflowError):
        services.finding_assign(finding=w.m01.finding, sections=[w.other], reply_by=REPLY_BY, by=w.auditor)
