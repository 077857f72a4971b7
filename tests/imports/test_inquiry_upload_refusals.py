"""Answering a round with the workbook: what the service refuses (with the row and the column), locked
columns and formulas, and every bad file or workbook leaving the database unchanged."""

import datetime
import io
import re
import zipfile

import openpyxl
import pytest
from django.test import override_settings
from django.utils import timezone

from findings import services
from findings.choices import StatusCode
from findings.models import Finding, MeasureReport
from imports import inquiry, pipeline
from imports.choices import BatchState
from imports.models import ImportBatch
from imports.uploads import OLE_MAGIC, UploadRefused
from tests.imports.test_inquiry_common import (
    columns,
    draft,
    edit,
    open_book,
    row_of,
    save_book,
    snapshot,
    status,
)

from .inquiry_upload_helpers import assert_refused_unchanged, counts, messages, stage, workbook

pytestmark = pytest.mark.django_db

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
