"""Answering a round with the workbook: the round trip (download → edit in Excel → upload → preview →
confirm → the same values in the database, a draft for the head to approve), a section's workbook
unable to change another section's data, stale previews and downloads, and every bad file leaving the
database unchanged."""

import datetime
import io
import re
import zipfile

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.test import override_settings
from django.utils import timezone

from auditreg.models import ChangeLog
from auditreg.wareki import format_date
from findings import services
from findings.choices import ReportState, StatusCode
from findings.models import Finding, MeasureReport
from imports import inquiry, pipeline
from imports.choices import BatchKind, BatchState
from imports.models import ImportBatch, InquiryResponse
from imports.uploads import OLE_MAGIC, UploadRefused
from tests.imports.test_inquiry_common import (
    REPLY_BY,
    build_world,
    columns,
    draft,
    edit,
    open_book,
    row_of,
    save_book,
    snapshot,
    status,
    upload,
)

pytestmark = pytest.mark.django_db

LABEL = "措置の報告"


@pytest.fixture
def w(make_user, report):
    return build_world(make_user, report)


def workbook(w, by=None, section=None, round_=None):
    by = by or w.staff
    return inquiry.section_workbook(inquiry_round=round_ or w.round, section=section or by.section, by=by)


def stage(w, content, by=None, section=None, round_=None, name="回答.xlsx"):
    by = by or w.staff
    return pipeline.stage(
        kind=BatchKind.INQUIRY,
        upload=upload(content, name),
        by=by,
        inquiry_round=round_ or w.round,
        section=section or by.section,
    )


def counts(created=0, updated=0, unchanged=0):
    return {LABEL: {"created": created, "updated": updated, "unchanged": unchanged, "deleted": 0}}


def messages(batch) -> str:
    return "\n".join(" ".join(p) for p in batch.problems)


# -- the workbook -----------------------------------------------------------------------------


def test_workbook_holds_only_the_sections_measures_with_locked_and_editable_columns(w):
    content = workbook(w)
    wb = open_book(content)
    assert wb.sheetnames == ["回答", "_meta"]
    ws, meta = wb["回答"], wb["_meta"]
    assert meta.sheet_state == "veryHidden" and meta.protection.sheet
    assert ws.protection.sheet and wb.security.lockStructure
    # the lines above the table start beside the hidden 措置ID column
    assert ws["B1"].value == "照会：令和7年度 第1回 措置状況照会"
    assert "広報広聴課" in ws["B2"].value and "令和7年9月30日" in ws["B2"].value
    assert ws.column_dimensions["A"].hidden and ws["A5"].value.startswith("措置ID")
    # prints one A4 landscape page wide, the header row on every page, each row as tall as its text
    assert ws.print_title_rows == "$5:$5" and int(ws.page_setup.fitToWidth) == 1
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
    assert ws.cell(row=r, column=cols["措置年月日"]).number_format == "yyyy/m/d"
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


def assert_refused_unchanged(batch, before, *expected):
    assert batch.state == BatchState.INVALID
    for text in expected:
        assert text in messages(batch), messages(batch)
    assert snapshot() == before
    with pytest.raises(pipeline.ConfirmRefused):
        pipeline.confirm(batch=batch, by=batch.uploaded_by)
    # refusing records the refusal (change log) and nothing else
    after = snapshot()
    assert after["reports"] == before["reports"] and after["responses"] == before["responses"]
    assert after["measures"] == before["measures"]


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


# -- what the service refuses, with the row and the column -------------------------------------


@pytest.mark.parametrize(
    ("cells", "column", "message"),
    [
        ({"措置状況": "措置済", "措置（対応）の内容": "済んだ"}, "措置年月日（J列）", "措置年月日を記入してください"),
        ({"措置状況": "措置しない", "措置（対応）の内容": ""}, "措置しない理由（L列）", "理由を記入してください"),
        (
            {"措置状況": "措置中", "措置年月日": datetime.date(2025, 8, 1), "措置（対応）の内容": "途中"},
            "措置年月日（J列）",
            "措置済の場合にのみ",
        ),
        ({"措置状況": "措置中"}, "措置（対応）の内容（I列）", "措置（対応）の内容を記入してください"),
        ({"措置（対応）の内容": "状況を選び忘れた"}, "措置状況（H列）", "措置状況を選んでください"),
    ],
)
def test_service_validation_becomes_a_problem_with_row_and_column(w, cells, column, message):
    content = workbook(w)
    r = row_of(open_book(content)["回答"], w.m01)
    before = snapshot()
    batch = stage(w, edit(content, {w.m01: cells}))
    assert batch.state == BatchState.INVALID
    assert [f"回答シート {r}行目", column] in [p[:2] for p in batch.problems], batch.problems
    assert message in messages(batch)
    assert snapshot() == before


def test_a_report_awaiting_review_cannot_be_changed_by_an_answer(w):
    services.report_submit(report=draft(w.m01, w.staff), by=w.head)
    content = edit(workbook(w), {w.m01: {"措置（対応）の内容": "審査中に書き換え"}})
    before = snapshot()
    batch = stage(w, content)
    assert "課長承認済・審査待ち" in messages(batch)
    assert snapshot() == before


def test_edits_in_locked_columns_are_ignored_with_a_warning(w):
    content = edit(
        workbook(w),
        {w.m01: {"表題": "書き換えた表題", "番号": "指摘99", "措置状況": "措置中", "措置（対応）の内容": "記入"}},
    )
    batch = stage(w, content)
    assert batch.problems == []
    assert {tuple(x[1:]) for x in batch.warnings} == {
        ("表題（C列）", "この列は変更できません。変更は取り込まれません（報告書の記載はそのままです）。"),
        ("番号（B列）", "この列は変更できません。変更は取り込まれません（報告書の記載はそのままです）。"),
    }
    pipeline.confirm(batch=batch, by=w.staff)
    finding = Finding.objects.get(pk=w.m01.finding_id)
    assert (finding.code, finding.title) == ("指摘01", w.m01.finding.title)
    assert not any(c[2] in ("表題", "番号") for c in batch.changes)


def _with_cached_value(content: bytes, cell: str, value: str) -> bytes:
    """Give a formula cell the value Excel would have stored when it last calculated the workbook."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                xml = data.decode()
                pattern = re.compile(rf'<c r="{cell}"([^>]*)><f>(.*?)</f><v\s*/?>(</v>)?</c>')
                assert pattern.search(xml), "formula cell not found"
                xml = pattern.sub(lambda m: f'<c r="{cell}"{m[1]} t="str"><f>{m[2]}</f><v>{value}</v></c>', xml)
                data = xml.encode()
            target.writestr(info, data)
    return out.getvalue()


def test_a_formula_with_a_stored_value_uses_that_value_with_a_warning(w):
    content = workbook(w)
    r = row_of(open_book(content)["回答"], w.m01)
    content = edit(content, {w.m01: {"措置状況": '=IF(TRUE,"措置中","")', "措置（対応）の内容": "数式の行"}})
    batch = stage(w, _with_cached_value(content, f"H{r}", "措置中"))
    assert batch.problems == []
    assert [f"回答シート {r}行目", "措置状況（H列）"] == batch.warnings[0][:2]
    pipeline.confirm(batch=batch, by=w.staff)
    assert MeasureReport.objects.get(measure=w.m01).status == status(StatusCode.IN_PROGRESS)


# -- bad files --------------------------------------------------------------------------------


def _zip(files: dict) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return out.getvalue()


def _foreign_workbook() -> bytes:
    wb = openpyxl.Workbook()
    wb.active["A1"] = "措置ID"
    return save_book(wb)


REFUSED = {
    "csv text": (b"a,b,c\n1,2,3\n", "テキスト（CSV など）"),
    "old .xls": (OLE_MAGIC + b"\x00" * 600, "古い Excel 形式（.xls）"),
    "empty": (b"", "空のファイル"),
    "zip, not a workbook": (_zip({"a.txt": "x"}), "Excel（.xlsx）のファイルを選んでください"),
    "binary junk": (b"\x00\x01\x02garbage" * 10, "zip でも Excel"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_unreadable_files_are_refused_before_anything_is_stored(w, case):
    data, message = REFUSED[case]
    before, n_batches = snapshot(), ImportBatch.objects.count()
    with pytest.raises(UploadRefused) as exc:
        stage(w, data, name="回答.xlsx")
    assert message in str(exc.value)
    assert snapshot() == before and ImportBatch.objects.count() == n_batches


def test_a_file_over_the_size_limit_is_refused(w):
    content = workbook(w)
    before, n_batches = snapshot(), ImportBatch.objects.count()
    with override_settings(IMPORT_MAX_UPLOAD_BYTES=len(content) - 1):
        with pytest.raises(UploadRefused) as exc:
            stage(w, content)
    assert "ファイルが大きすぎます" in str(exc.value)
    assert snapshot() == before and ImportBatch.objects.count() == n_batches


def _edit_sheet(w, change):
    wb = open_book(workbook(w))
    change(wb["回答"], columns(wb["回答"]), row_of(wb["回答"], w.m01))
    return save_book(wb)


def _set(label, value):
    def change(ws, cols, r):
        ws.cell(row=r, column=cols["措置（対応）の内容"], value="記入")
        ws.cell(row=r, column=cols[label], value=value)
        if label != "措置状況":
            ws.cell(row=r, column=cols["措置状況"], value="措置中")

    return change


def _duplicate(ws, cols, r):
    last = ws.max_row + 1
    for c in range(1, ws.max_column + 1):
        ws.cell(row=last, column=c, value=ws.cell(row=r, column=c).value)
    ws.cell(row=last, column=cols["措置状況"], value="措置中")
    ws.cell(row=last, column=cols["措置（対応）の内容"], value="重複")


def _drop_status_column(ws, cols, r):
    ws.cell(row=r - 1, column=cols["措置状況"], value="状況")


def _bad_id(ws, cols, r):
    ws.cell(row=r, column=1, value="一")


PROBLEMS = {
    "damaged workbook": (
        lambda w: _zip({"[Content_Types].xml": "<x", "xl/workbook.xml": "<broken"}),
        "Excel ブックとして読めません",
    ),
    "a workbook that is not the answer form": (lambda w: _foreign_workbook(), "照会の回答様式ではありません"),
    "formula without a stored value": (
        lambda w: _edit_sheet(w, _set("措置（対応）の内容", "=1+1")),
        "計算されていない数式です",
    ),
    "unknown status": (
        lambda w: _edit_sheet(w, _set("措置状況", "完了")),
        "「完了」は措置状況にありません（措置予定・検討中、措置中、措置済、措置しない から選ぶ）",
    ),
    "impossible date": (lambda w: _edit_sheet(w, _set("完了予定日", "2025/13/40")), "存在しない日付です"),
    "not a date": (lambda w: _edit_sheet(w, _set("完了予定日", "来月末")), "日付として読めません"),
    "date out of range": (
        lambda w: _edit_sheet(w, _set("完了予定日", datetime.date(1900, 1, 2))),
        "1926年〜2200年の日付",
    ),
    "duplicate rows for one measure": (lambda w: _edit_sheet(w, _duplicate), "の行が二つあります"),
    "a missing editable column": (lambda w: _edit_sheet(w, _drop_status_column), "この列が見つかりません"),
    "a row without a measure id": (lambda w: _edit_sheet(w, _bad_id), "措置IDが読めません"),
}


@pytest.mark.parametrize("case", list(PROBLEMS))
def test_bad_workbooks_are_problems_and_change_nothing(w, case):
    build, message = PROBLEMS[case]
    content = build(w)
    before = snapshot()
    batch = stage(w, content)
    assert batch.state == BatchState.INVALID
    assert message in messages(batch), messages(batch)
    assert snapshot() == before
    with pytest.raises(pipeline.ConfirmRefused):
        pipeline.confirm(batch=batch, by=w.staff)
    after = snapshot()
    assert after["reports"] == before["reports"] and after["responses"] == before["responses"]


def test_dates_typed_as_text_are_read():
    assert inquiry.parse_date("2025/6/30") == (datetime.date(2025, 6, 30), None)
    assert inquiry.parse_date("２０２５－０６－３０") == (datetime.date(2025, 6, 30), None)
    assert inquiry.parse_date("令和7年6月30日") == (datetime.date(2025, 6, 30), None)
    assert inquiry.parse_date("令和元年5月1日") == (datetime.date(2019, 5, 1), None)
    assert inquiry.parse_date("R7.6.30") == (datetime.date(2025, 6, 30), None)
    assert inquiry.parse_date(datetime.datetime(2025, 6, 30, 0, 0)) == (datetime.date(2025, 6, 30), None)
    assert inquiry.parse_date(None) == (None, None)
    assert inquiry.parse_date(45000)[1] is not None


def test_report_text_that_looks_like_a_formula_stays_text_both_ways(w):
    text = '=HYPERLINK("http://example.invalid","開く")'
    draft(w.m01, w.staff2, text=text)
    content = workbook(w)
    ws = open_book(content)["回答"]
    cell = ws.cell(row=row_of(ws, w.m01), column=columns(ws)["措置（対応）の内容"])
    assert (cell.value, cell.data_type) == (text, "s")  # a string cell, never a formula
    unchanged = stage(w, content)
    assert unchanged.problems == [] and unchanged.summary == counts(unchanged=2)
    batch = stage(w, edit(content, {w.m01: {"完了予定日": datetime.date(2026, 3, 31)}}))
    assert batch.problems == [] and batch.summary == counts(updated=1, unchanged=1)
    pipeline.confirm(batch=batch, by=w.staff)
    assert MeasureReport.objects.get(measure=w.m01).text == text


def test_a_closed_round_takes_no_answers(w):
    content = edit(workbook(w), {w.m01: {"措置状況": "措置中", "措置（対応）の内容": "締切後"}})
    type(w.round).objects.filter(pk=w.round.pk).update(closed_at=timezone.now())
    w.round.refresh_from_db()
    before = snapshot()
    batch = stage(w, content)
    assert_refused_unchanged(batch, before, "締め切られています")
