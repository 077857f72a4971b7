"""Answering a round with the workbook: the workbook itself, the round trip (download → edit in Excel →
upload → preview → confirm → the same values in the database, a draft for the head to approve), a
section's workbook unable to change another section's data, and stale previews and downloads."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from auditreg.models import ChangeLog
from auditreg.wareki import format_date
from findings import services
from findings.choices import ReportState, StatusCode
from findings.models import Finding, MeasureReport
from imports import inquiry, pipeline
from imports.choices import BatchState
from imports.inquiry.printsheet import WAREKI_FORMAT
from imports.models import InquiryResponse
from tests.imports.test_inquiry_common import (
    REPLY_BY,
    columns,
    draft,
    edit,
    open_book,
    row_of,
    save_book,
    snapshot,
)

from .inquiry_upload_helpers import LABEL, assert_refused_unchanged, counts, messages, stage, workbook

pytestmark = pytest.mark.django_db

# -- the workbook -----------------------------------------------------------------------------


def test_workbook_holds_only_the_sections_measures_with_locked_and_editable_columns(w):
    content = workbook(w)
    wb = open_book(content)
    assert wb.sheetnames == ["回答", "印刷用", "_meta"]
    ws, meta = wb["回答"], wb["_meta"]
    assert meta.sheet_state == "veryHidden" and meta.protection.sheet
    assert ws.protection.sheet and wb.security.lockStructure
    # the lines above the table start beside the hidden 措置ID column
    assert ws["B1"].value == "照会：令和7年度 第1回 措置状況照会"
    # the reply-by date is a date cell shown in 和暦 (as Excel and LibreOffice render WAREKI_FORMAT)
    assert ws["B2"].value == "回答期限" and "広報広聴課" in ws["E2"].value
    assert ws["D2"].value.date() == datetime.date(2025, 9, 30) and ws["D2"].number_format == WAREKI_FORMAT
    assert ws.column_dimensions["A"].hidden and ws["A5"].value.startswith("措置ID")
    # prints its heading lines only (the table prints from 印刷用), one A4 landscape page wide
    assert ws.print_area == "'回答'!$B$1:$L$4" and int(ws.page_setup.fitToWidth) == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.orientation == "landscape"
    ids = [r[0].value for r in ws.iter_rows(min_row=6) if r[0].value is not None]
    assert ids == [w.m01.pk, w.m03.pk]  # not the other section's 指摘01 nor 意見16, not 意見17 (not in the round)
    cols = columns(ws)
    r = row_of(ws, w.m01)
    for label in ("措置ID", "番号", "表題", "報告書の記載（① 検出事項 ② 問題点 ③ 指摘・意見）", "措置状況（受理済）"):
        assert ws.cell(row=r, column=cols[label]).protection.locked, label
    for label in ("措置状況", "措置（対応）の内容", "措置年月日", "完了予定日", "措置しない理由"):
        assert not ws.cell(row=r, column=cols[label]).protection.locked, label
    assert ws.cell(row=r, column=cols["番号"]).value == "指摘01"
    text = ws.cell(row=r, column=cols["報告書の記載（① 検出事項 ② 問題点 ③ 指摘・意見）"]).value
    assert text.startswith("① 検出事項") and "③ 指摘01" in text
    assert ws.cell(row=r, column=cols["措置年月日"]).number_format == WAREKI_FORMAT
    # the status drop-down lists the report statuses (not 未着手) kept on the hidden sheet
    (status_list,) = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert "H6:H7" in str(status_list.sqref)
    assert status_list.formula1 == "'_meta'!$L$2:$L$5"
    assert [meta.cell(row=i, column=12).value for i in range(2, 6)] == [
        "措置予定・検討中",
        "措置中",
        "措置済",
        "措置しない",
    ]
    assert [meta.cell(row=i, column=1).value for i in range(1, 4)] == ["auditreg-inquiry", "round", "section"]
    assert (meta["B2"].value, meta["B3"].value) == (w.round.pk, w.section.pk)


def test_workbook_is_prefilled_with_the_open_draft_else_the_latest_report(w):
    accepted = services.report_submit(report=draft(w.m01, w.staff, text="受理された内容"), by=w.head)
    services.report_accept(report=accepted, by=w.auditor)
    draft(w.m03, w.staff2, code=StatusCode.DONE, text="下書きの内容")
    wb = open_book(workbook(w))
    ws = wb["回答"]
    cols = columns(ws)
    r01, r03 = row_of(ws, w.m01), row_of(ws, w.m03)
    assert ws.cell(row=r01, column=cols["措置状況"]).value == "措置中"
    assert ws.cell(row=r01, column=cols["措置（対応）の内容"]).value == "受理された内容"
    assert ws.cell(row=r01, column=cols["現在の報告"]).value == "受理"
    assert ws.cell(row=r03, column=cols["措置状況"]).value == "措置済"
    assert ws.cell(row=r03, column=cols["措置年月日"]).value == datetime.datetime(2025, 6, 1)
    assert ws.cell(row=r03, column=cols["現在の報告"]).value == "作成中"


def test_first_download_by_the_section_is_recorded_once_office_downloads_are_not(w):
    workbook(w, by=w.auditor, section=w.section)
    response = InquiryResponse.objects.get(round=w.round, section=w.section)
    assert response.downloaded_at is None
    workbook(w, by=w.staff)
    response.refresh_from_db()
    first = response.downloaded_at
    assert first is not None and response.downloaded_by == w.staff
    workbook(w, by=w.head)
    response.refresh_from_db()
    assert (response.downloaded_at, response.downloaded_by) == (first, w.staff)
    assert ChangeLog.objects.filter(action="inquiry.downloaded").count() == 1


def test_a_section_cannot_download_another_sections_workbook(w):
    with pytest.raises(PermissionDenied):
        workbook(w, by=w.staff, section=w.other)
    with pytest.raises(PermissionDenied):
        workbook(w, by=w.outside_staff)  # a section that is not in the round
    assert not InquiryResponse.objects.filter(downloaded_at__isnull=False).exists()


# -- the round trip -----------------------------------------------------------------------------


def test_round_trip_download_edit_upload_confirm_then_the_head_approves(w):
    content = edit(
        workbook(w),
        {
            w.m01: {
                "措置状況": "措置中",
                "措置（対応）の内容": "作成者 ID と承認者 ID を分けた。\n運用を周知した。",
                "完了予定日": datetime.date(2026, 3, 31),
            },
            w.m03: {
                "措置状況": "措置済",
                "措置（対応）の内容": "コンソーシアムの情報を公開した。",
                "措置年月日": datetime.date(2025, 8, 1),
            },
        },
    )
    before = snapshot()
    batch = stage(w, content)
    assert batch.state == BatchState.PREVIEWED, batch.problems
    assert snapshot() == before  # the preview wrote nothing
    assert batch.summary == counts(created=2)
    today = format_date(timezone.localdate(batch.uploaded_at))
    k01, k03 = "指摘01 / 広報広聴課", "意見03 / 広報広聴課"
    assert batch.changes == [
        [LABEL, k01, "措置状況", "", "措置中"],
        [LABEL, k01, "措置（対応）の内容", "", "作成者 ID と承認者 ID を分けた。\n運用を周知した。"],
        [LABEL, k01, "完了予定日", "", "令和8年3月31日"],
        [LABEL, k01, "報告日（時点）", "", today],
        [LABEL, k03, "措置状況", "", "措置済"],
        [LABEL, k03, "措置（対応）の内容", "", "コンソーシアムの情報を公開した。"],
        [LABEL, k03, "措置年月日", "", "令和7年8月1日"],
        [LABEL, k03, "報告日（時点）", "", today],
    ]
    assert batch.problems == [] and batch.warnings == []

    applied = pipeline.confirm(batch=batch, by=w.staff)
    assert applied.state == BatchState.APPLIED
    r01 = MeasureReport.objects.get(measure=w.m01)
    assert (r01.state, r01.status.code, r01.text) == (
        ReportState.DRAFT,
        StatusCode.IN_PROGRESS,
        "作成者 ID と承認者 ID を分けた。\n運用を周知した。",
    )
    assert (r01.planned_completion_on, r01.completed_on, r01.reason) == (datetime.date(2026, 3, 31), None, "")
    assert (r01.drafted_by, r01.last_edited_by, r01.version) == (w.staff, w.staff, 1)
    assert r01.reported_on == timezone.localdate(batch.uploaded_at)
    r03 = MeasureReport.objects.get(measure=w.m03)
    assert (r03.state, r03.status.code, r03.completed_on) == (
        ReportState.DRAFT,
        StatusCode.DONE,
        datetime.date(2025, 8, 1),
    )
    assert r03.text == "コンソーシアムの情報を公開した。" and r03.drafted_by == w.staff
    # the same change log as a draft saved on screen
    assert ChangeLog.objects.filter(action="report.created", actor=w.staff).count() == 2
    response = InquiryResponse.objects.get(round=w.round, section=w.section)
    assert response.answered_by == w.staff and response.answered_at is not None
    # the other section is untouched
    assert not MeasureReport.objects.filter(measure__section=w.other).exists()
    # downloading again shows the answer; uploading that unchanged file changes nothing
    again = stage(w, workbook(w))
    assert again.summary == counts(unchanged=2) and again.changes == []

    # the head approves (指摘01: a different person from the drafter)
    for report in (r01, r03):
        assert services.may_approve(report, w.head)
        services.report_submit(report=report, by=w.head)
    assert set(MeasureReport.objects.filter(measure__in=[w.m01, w.m03]).values_list("state", flat=True)) == {
        ReportState.SUBMITTED
    }


def test_an_answer_updates_the_open_draft_and_leaves_the_drafter(w):
    existing = draft(w.m01, w.staff2, text="画面で作成した内容")
    content = edit(workbook(w), {w.m01: {"措置（対応）の内容": "様式で補足した内容"}})
    batch = stage(w, content)
    assert batch.summary == counts(updated=1, unchanged=1)  # 意見03: empty row, no report
    today = timezone.localdate(batch.uploaded_at)
    assert batch.changes == [
        [LABEL, "指摘01 / 広報広聴課", "措置（対応）の内容", "画面で作成した内容", "様式で補足した内容"],
        [LABEL, "指摘01 / 広報広聴課", "報告日（時点）", "令和7年6月30日", format_date(today)],
    ]
    pipeline.confirm(batch=batch, by=w.staff)
    existing.refresh_from_db()
    assert (existing.text, existing.version, existing.drafted_by, existing.last_edited_by) == (
        "様式で補足した内容",
        2,
        w.staff2,
        w.staff,
    )
    assert MeasureReport.objects.filter(measure=w.m01).count() == 1


def test_an_answer_on_an_accepted_report_starts_a_new_draft(w):
    accepted = services.report_submit(report=draft(w.m01, w.staff), by=w.head)
    services.report_accept(report=accepted, by=w.auditor)
    content = edit(workbook(w), {w.m01: {"措置状況": "措置済", "措置年月日": datetime.date(2025, 9, 10)}})
    batch = stage(w, content)
    assert batch.summary == counts(created=1, unchanged=1)
    fields = [c[2:] for c in batch.changes]
    assert fields[:2] == [["措置状況", "措置中", "措置済"], ["措置年月日", "", "令和7年9月10日"]]
    pipeline.confirm(batch=batch, by=w.staff)
    accepted.refresh_from_db()
    assert accepted.state == ReportState.ACCEPTED and accepted.status.code == StatusCode.IN_PROGRESS
    new = MeasureReport.objects.get(measure=w.m01, state=ReportState.DRAFT)
    assert (new.status.code, new.completed_on, new.text) == (StatusCode.DONE, datetime.date(2025, 9, 10), accepted.text)


def test_the_head_who_uploaded_cannot_approve_the_answer(w):
    content = edit(workbook(w, by=w.head), {w.m01: {"措置状況": "措置中", "措置（対応）の内容": "課長が記入"}})
    pipeline.confirm(batch=stage(w, content, by=w.head), by=w.head)
    report = MeasureReport.objects.get(measure=w.m01)
    assert report.drafted_by == w.head and not services.may_approve(report, w.head)
    with pytest.raises(services.WorkflowError):
        services.report_submit(report=report, by=w.head)


def test_re_uploading_the_same_file_after_a_fix_is_not_stale(w):
    content = workbook(w)
    first = edit(content, {w.m01: {"措置状況": "措置中", "措置（対応）の内容": "一回目"}})
    pipeline.confirm(batch=stage(w, first), by=w.staff)
    second = edit(first, {w.m01: {"措置（対応）の内容": "二回目（誤字を直した）"}})
    batch = stage(w, second)
    assert batch.problems == [] and batch.summary == counts(updated=1, unchanged=1)
    pipeline.confirm(batch=batch, by=w.staff)
    assert MeasureReport.objects.get(measure=w.m01).text == "二回目（誤字を直した）"


# -- another section's data ---------------------------------------------------------------------


def test_a_workbook_whose_meta_names_another_section_is_refused(w):
    theirs = workbook(w, by=w.other_staff)
    content = edit(theirs, {w.m01_other: {"措置状況": "措置中", "措置（対応）の内容": "他課が書き換え"}})
    before = snapshot()
    batch = stage(w, content, by=w.staff)  # uploaded by this section, into this section's answer
    assert_refused_unchanged(batch, before, "他の課の回答様式です。")
    assert not any(w.other.name in p[2] for p in batch.problems), batch.problems  # no other section's name


def test_rows_for_another_sections_measures_are_refused(w):
    wb = open_book(workbook(w))
    ws = wb["回答"]
    cols = columns(ws)
    r03 = row_of(ws, w.m03)
    ws.cell(row=r03, column=1, value=w.m01_other.pk)  # the other section's measure of the same finding
    ws.cell(row=r03, column=cols["措置状況"], value="措置済")
    ws.cell(row=r03, column=cols["措置（対応）の内容"], value="他課の措置を書き換える")
    ws.cell(row=r03, column=cols["措置年月日"], value=datetime.date(2025, 8, 1))
    ws.cell(row=r03 + 1, column=1, value=w.m16_other.pk)  # and one only the other section has
    ws.cell(row=r03 + 1, column=cols["措置状況"], value="措置中")
    ws.cell(row=r03 + 1, column=cols["措置（対応）の内容"], value="書き換え")
    # a valid change of this section's own measure in the same file is not applied either (all or nothing)
    ws.cell(row=row_of(ws, w.m01), column=cols["措置状況"], value="措置中")
    ws.cell(row=row_of(ws, w.m01), column=cols["措置（対応）の内容"], value="自課の正しい変更")
    before = snapshot()
    batch = stage(w, save_book(wb))
    # the same words as for an id that does not exist: the message confirms no other section's measure
    assert_refused_unchanged(
        batch,
        before,
        f"この照会の対象ではありません（措置ID {w.m01_other.pk}）",
        f"この照会の対象ではありません（措置ID {w.m16_other.pk}）",
    )
    refused = [p[0] for p in batch.problems if "対象ではありません" in p[2]]
    assert refused == [f"回答シート {r03}行目", f"回答シート {r03 + 1}行目"]
    assert not any("他の課" in p[2] or w.other.name in p[2] for p in batch.problems), batch.problems


def test_a_measure_not_in_the_round_is_refused(w):
    wb = open_book(workbook(w))
    ws = wb["回答"]
    cols = columns(ws)
    r = row_of(ws, w.m03)
    ws.cell(row=r, column=1, value=w.m17.pk)  # the section's own measure, but not in this round
    ws.cell(row=r, column=cols["措置状況"], value="措置中")
    ws.cell(row=r, column=cols["措置（対応）の内容"], value="対象外")
    ws.cell(row=r + 1, column=1, value=999_999_999)  # no such measure
    before = snapshot()
    batch = stage(w, save_book(wb))
    assert_refused_unchanged(
        batch,
        before,
        f"この照会の対象ではありません（措置ID {w.m17.pk}）",
        "この照会の対象ではありません（措置ID 999999999）",
    )


def test_another_sections_user_cannot_answer_for_this_section(w):
    content = edit(workbook(w), {w.m01: {"措置状況": "措置中", "措置（対応）の内容": "他課の人が回答"}})
    before = snapshot()
    batch = stage(w, content, by=w.other_staff, section=w.section)
    assert_refused_unchanged(batch, before, "回答をアップロードできるのは、その課の担当・課長です")
    batch = stage(w, content, by=w.auditor, section=w.section)
    assert_refused_unchanged(batch, before, "回答をアップロードできるのは")


def test_a_workbook_of_another_round_is_refused(w, report):
    second = inquiry.round_create(
        title="第2回",
        reply_by=REPLY_BY,
        findings=[Finding.objects.get(report=report, code="指摘01")],
        sections=[w.section],
        by=w.auditor,
    )
    content = edit(workbook(w, round_=second), {w.m01: {"措置状況": "措置中", "措置（対応）の内容": "第2回の回答"}})
    before = snapshot()
    batch = stage(w, content)  # into the first round
    assert_refused_unchanged(batch, before, f"別の照会の回答様式です（照会番号 {second.pk}）")


# -- stale data -----------------------------------------------------------------------------------


def test_a_stale_preview_is_refused_on_confirm_and_writes_nothing(w):
    content = edit(workbook(w), {w.m01: {"措置状況": "措置中", "措置（対応）の内容": "様式の内容"}})
    batch = stage(w, content)
    assert batch.state == BatchState.PREVIEWED
    draft(w.m01, w.staff2, text="確認の間に画面で保存した内容")  # someone edits on screen meanwhile
    before = snapshot()
    with pytest.raises(pipeline.ConfirmRefused) as exc:
        pipeline.confirm(batch=batch, by=w.staff)
    assert "データが変更されました" in str(exc.value)
    after = snapshot()
    assert after["reports"] == before["reports"] and after["responses"] == before["responses"]
    assert after["changelog"] == before["changelog"] + 1  # the refusal itself
    assert ChangeLog.objects.order_by("-pk").first().action == "import.refused"
    batch.refresh_from_db()
    assert batch.state == BatchState.REFUSED
    assert MeasureReport.objects.get(measure=w.m01).text == "確認の間に画面で保存した内容"


def test_an_upload_over_someone_elses_later_edit_is_a_problem(w):
    content = workbook(w)
    draft(w.m01, w.staff2, text="ダウンロード後に画面で保存した内容")
    before = snapshot()
    batch = stage(w, edit(content, {w.m01: {"措置状況": "措置中", "措置（対応）の内容": "古い様式からの内容"}}))
    assert batch.state == BatchState.INVALID
    assert "様式をダウンロードした後に 担当二 太郎 さんがこの報告を更新しました" in messages(batch)
    assert snapshot() == before
    # the same old workbook with that row left as it was: no conflict, the report stays as it is now
    untouched = stage(w, content)
    assert untouched.problems == [] and untouched.summary == counts(unchanged=2)
    assert "この行は変更されていないため、現在の報告のままにします" in untouched.warnings[0][2]
    pipeline.confirm(batch=untouched, by=w.staff)
    assert MeasureReport.objects.get(measure=w.m01).text == "ダウンロード後に画面で保存した内容"
