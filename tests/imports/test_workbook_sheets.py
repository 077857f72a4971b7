"""The Excel form of a bundle: missing, empty and unknown sheets, missing, extra and duplicate columns,
formulas, child rows without a parent, and every problem naming the sheet, the row and the column."""

import re

import pytest

from findings.bundle.checks import check_bundle
from findings.bundle.reader import Problem
from imports.uploads import UploadRefused
from imports.workbook import GUIDE_SHEET, place, read_workbook

from .workbook_helpers import REPORT, cell, columns, edited, find_row, load, messages, patch_sheet, replace_cell, save

pytestmark = pytest.mark.django_db

# -- sheets and columns ---------------------------------------------------------------------------------------------


def test_a_missing_required_sheet(full):
    book = load(full)
    del book["findings"]
    bundle = read_workbook(save(book))
    assert bundle.problems == [Problem("findings.yaml", "", "", "シートがありません")]
    assert messages(bundle.problems) == ["シート findings: シートがありません"]
    assert "findings.yaml" not in bundle.files
    assert messages(bundle.warnings) == [
        "シート finding_subjects: シート findings がないため読み飛ばします",
        "シート finding_sections: シート findings がないため読み飛ばします",
    ]


def test_a_missing_optional_sheet_is_an_absent_file(full):
    book = load(full)
    del book["repairs"]
    bundle = read_workbook(save(book))
    assert bundle.problems == [] and bundle.warnings == []
    assert "repairs.csv" not in bundle.files


def test_a_missing_child_sheet_means_no_entries(full):
    # a report without subjects (or text blocks) needs no empty child sheet
    book = load(full)
    del book["finding_subjects"]
    bundle = read_workbook(save(book))
    assert bundle.problems == []
    assert all(f["subjects"] == [] for f in bundle.rows("findings.yaml"))
    assert any(f["sections"] for f in bundle.rows("findings.yaml"))


@pytest.mark.parametrize(
    "sheet, where", [("bureaus", "シート bureaus"), ("finding_sections", "シート finding_sections")]
)
def test_an_empty_sheet(full, sheet, where):
    book = load(full)
    ws = book[sheet]
    ws.delete_rows(1, ws.max_row)
    bundle = read_workbook(save(book))
    assert messages(bundle.problems) == [f"{where}: シートが空です（見出し行がありません）"]


def test_a_header_only_sheet_has_no_records(full):
    book = load(full)
    ws = book["repairs"]
    ws.delete_rows(2, ws.max_row)
    bundle = read_workbook(save(book))
    assert bundle.problems == [] and bundle.warnings == []
    assert bundle.files["repairs.csv"] == []


@pytest.mark.parametrize(
    "sheet, column, expected",
    [
        ("systems", "name", "シート systems / 行 1 / 列 name: 必要な列がありません"),
        ("findings", "title", "シート findings / 行 1 / 列 title: 必要な列がありません"),
        ("finding_subjects", "code", "シート finding_subjects / 行 1 / 列 code: 必要な列がありません"),
    ],
)
def test_a_missing_column(full, sheet, column, expected):
    book = load(full)
    ws = book[sheet]
    ws.delete_cols(columns(ws).index(column) + 1)
    bundle = read_workbook(save(book))
    assert messages(bundle.problems) == [expected]


@pytest.mark.parametrize("sheet", ["systems", "findings", "finding_subjects"])
def test_an_extra_column_is_a_warning(full, folder, sheet):
    book = load(full)
    ws = book[sheet]
    ws.cell(row=1, column=ws.max_column + 1, value="メモ")
    ws.cell(row=2, column=ws.max_column, value="確認済み")
    bundle = read_workbook(save(book))
    assert bundle.problems == []
    where = f"シート {sheet} / 行 1" if sheet != "finding_subjects" else "シート finding_subjects / 行 1"
    assert messages(bundle.warnings) == [f"{where} / 列 メモ: 知らない列は読み飛ばします"]
    assert bundle.files == folder.files


def test_a_column_without_a_header(full):
    book = load(full)
    ws = book["systems"]
    ws.cell(row=3, column=ws.max_column + 2, value="メモ")
    bundle = read_workbook(save(book))
    assert bundle.problems == []
    assert messages(bundle.warnings) == ["シート systems / 行 1 / 列 列 G: 見出し（列名）のない列の値は読み飛ばします"]


@pytest.mark.parametrize("sheet, column, cells", [("findings", "title", "H1, S1"), ("systems", "name", "D1, F1")])
def test_duplicate_column_names(full, sheet, column, cells):
    book = load(full)
    ws = book[sheet]
    ws.cell(row=1, column=ws.max_column + 1, value=column)
    bundle = read_workbook(save(book))
    assert messages(bundle.problems) == [f"シート {sheet} / 行 1 / 列 {column}: 同じ名前の列が複数あります（{cells}）"]


def test_formulas_with_a_stored_value_are_read_with_one_warning(full, folder):
    book = load(full)
    ws = book["lines"]
    ws["E2"] = "=E3+E4"
    ws["F2"] = "=F3+F4"
    data = patch_sheet(
        save(book), "lines", lambda xml: xml.replace("<v></v>", "<v>11000</v>", 1).replace("<v></v>", "<v>11083</v>", 1)
    )
    bundle = read_workbook(data)
    assert bundle.problems == []
    assert messages(bundle.warnings) == ["シート lines: 数式のセルは計算結果の値を取り込みます: E2, F2"]
    assert bundle.files["budgets/lines.csv"] == folder.files["budgets/lines.csv"]


def test_a_formula_with_a_stored_text_value_in_a_child_sheet(full):
    def change(xml):
        return replace_cell(xml, "C2", '<c r="C2" t="str"><f>"弁護"&amp;"士"</f><v>弁護士</v></c>')

    bundle = read_workbook(patch_sheet(full, "report_assistants", change))
    assert bundle.problems == []
    assert messages(bundle.warnings) == ["シート report_assistants: 数式のセルは計算結果の値を取り込みます: C2"]
    assert bundle.rows("reports.yaml")[0]["assistants"][0]["title"] == "弁護士"


def test_formulas_without_a_stored_value_are_problems_per_cell(full):
    book = load(full)
    ws = book["lines"]
    ws["E3"] = "=E4+E5"
    ws["D9"] = '="取組"&"名"'
    bundle = read_workbook(save(book))
    paste = "数式に計算結果が保存されていません。値として貼り付けてください"
    assert messages(bundle.problems) == [
        f"シート lines / 行 3 / 列 budget_thousand_yen: {paste}（セル E3）",
        f"シート lines / 行 9 / 列 title: {paste}（セル D9）",
        "シート lines / 行 9 / 列 title: 必須項目が空です",
    ]


def test_a_child_row_without_its_parent(full):
    book = load(full)
    ws = book["finding_subjects"]
    row = find_row(ws, code="意見04", project="水害ハザードマップ事業")
    cell(ws, row, "code").value = "意見99"
    ws2 = book["audited_system_budgets"]
    cell(ws2, 2, "number").value = None
    bundle = read_workbook(save(book))
    assert messages(bundle.problems) == [
        "シート audited_system_budgets / 行 2 / 列 number: 親の行を指すキーが空です",
        f"シート finding_subjects / 行 {row} / 列 report, code: "
        f"シート findings に report={REPORT}, code=意見99 の行がありません（先に親の行を追加してください）",
    ]


def test_a_key_typed_as_text_finds_its_parent(full, folder):
    bundle = read_workbook(edited(full, "audited_system_budgets", "number", "5", number=5, fiscal_year=2021))
    assert bundle.problems == []
    assert bundle.files == folder.files


def test_unknown_sheets_are_warned_and_the_guide_is_ignored(full):
    book = load(full)
    book.create_sheet("メモ")["A1"] = "作業用"
    book.create_sheet("Sheet1")
    book[GUIDE_SHEET]["A1"] = "=1/0"  # whatever is on the guide sheet is not read
    bundle = read_workbook(save(book))
    assert bundle.problems == []
    assert messages(bundle.warnings) == [
        "シート メモ: 知らないシートは読み飛ばします",
        "シート Sheet1: 知らないシートは読み飛ばします",
    ]


def test_check_errors_point_at_excel_rows(full):
    bundle = read_workbook(edited(full, "findings", "area", "補助金", code="意見04"))
    assert bundle.problems == []
    errors = check_bundle(bundle).errors
    assert messages(errors)[0] == (
        "シート findings / 行 8 / 列 area: 分野「補助金」は報告書の areas にありません（DX、情報システム）"
    )


def test_place():
    assert place(Problem("findings.yaml", "行 5", "title", "")) == "シート findings / 行 5"
    assert (
        place(Problem("findings.yaml", "シート finding_subjects 行 3", "kind", "")) == "シート finding_subjects / 行 3"
    )
    assert place(Problem("organisation/bureaus.csv", "", "", "")) == "シート bureaus"
    assert place(Problem("", "シート メモ", "", "")) == "シート メモ"


def test_an_unreadable_file_is_refused():
    with pytest.raises(UploadRefused):
        read_workbook(b"PK\x03\x04 not really a zip")


# -- found while writing this module, fixed in imports.uploads --------------------------------------------


def test_text_beginning_with_an_equals_sign_is_not_a_formula(full):
    book = load(full)
    ws = book["findings"]
    target = cell(ws, find_row(ws, code="意見04"), "title")
    target.value = "=の後に続く表題"
    target.data_type = "s"  # text, as Excel stores a cell typed with a leading apostrophe
    bundle = read_workbook(save(book))
    assert next(f for f in bundle.rows("findings.yaml") if f["code"] == "意見04")["title"] == "=の後に続く表題"
    assert bundle.warnings == []


def test_a_sheet_with_an_understated_dimension_is_read_in_full(full, folder):
    data = patch_sheet(
        full, "repairs", lambda xml: re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:G2"/>', xml)
    )
    bundle = read_workbook(data)
    assert bundle.files["repairs.csv"] == folder.files["repairs.csv"]
