"""The Excel form of a bundle: the template holds exactly the database and reads back into the folder's
Bundle, an edit in the dry run is exactly the one change, and cell values (dates, numbers, text, bools,
JSON) are read as typed or named by sheet, row and column."""

import datetime

import pytest

from findings.bundle.checks import check_bundle
from findings.bundle.loader import load_bundle
from findings.bundle.schema import CSV_FILES, FILE_ORDER, YAML_FILES
from imports.workbook import GUIDE_SHEET, SHEETS, read_workbook, template_bytes

from .workbook_helpers import (
    REPORT,
    cell,
    columns,
    edited,
    find_row,
    load,
    messages,
    patch_sheet,
    replace_cell,
    save,
    touched,
)

pytestmark = pytest.mark.django_db

# -- round trip ------------------------------------------------------------------------------------------------------


def test_the_template_holds_exactly_the_database(full):
    bundle = read_workbook(full, label="報告書.xlsx")
    assert bundle.root == "報告書.xlsx"
    assert bundle.problems == [] and bundle.warnings == []
    assert check_bundle(bundle).errors == []
    result = load_bundle(bundle, dry_run=True)
    assert len(result.stats) >= 20
    for label, stats in result.stats.items():
        assert (stats.created, stats.updated, stats.deleted) == (0, 0, 0), label
        assert stats.unchanged > 0, label


def test_records_equal_the_folders(full, folder):
    bundle = read_workbook(full)
    # the history files are absent from the fixture (no earlier measures adopted), so from its workbook too
    assert (
        set(bundle.files)
        == set(folder.files)
        == set(FILE_ORDER) - {"history/measures.yaml", "history/publications.csv"}
    )
    for name in folder.files:
        assert bundle.files[name] == folder.files[name], name
    findings = bundle.rows("findings.yaml")
    assert findings[0].where == "行 2" and findings[-1].where == f"行 {len(findings) + 1}"
    assert findings[0]["subjects"][0].where == "シート finding_subjects 行 2"
    assert bundle.rows("organisation/bureaus.csv")[0].where == "行 2"


def test_sheets_in_file_order_with_key_columns_first(full):
    book = load(full)
    assert book.sheetnames[0] == GUIDE_SHEET
    history = {"history/measures.yaml", "history/publications.csv"}  # no earlier measures: no sheets
    assert [t for t in book.sheetnames if t in SHEETS.values()] == [SHEETS[n] for n in FILE_ORDER if n not in history]
    assert all(len(t) <= 31 for t in book.sheetnames)
    for name in CSV_FILES.keys() - history:
        assert columns(book[SHEETS[name]]) == [c.name for c in CSV_FILES[name]]
    assert columns(book["findings"])[:4] == ["report", "code", "key", "kind"]
    assert "subjects" not in columns(book["findings"])
    assert columns(book["finding_subjects"]) == ["report", "code"] + [
        c.name for c in next(c for c in YAML_FILES["findings.yaml"] if c.name == "subjects").children
    ]
    assert columns(book["finding_sections"]) == ["report", "code", "bureau", "section"]
    assert columns(book["report_assistants"]) == ["report", "name", "title"]
    assert columns(book["report_stated_counts"]) == ["report", "key", "value"]
    assert columns(book["audited_system_budgets"])[:2] == ["number", "fiscal_year"]
    assert columns(book["project_funding"])[:2] == ["project", "basis"]
    assert columns(book["project_contracts"])[:2] == ["project", "name"]
    assert columns(book["projects"])[-1] == "extra"


def test_sheets_mapping():
    assert SHEETS == {
        "reports.yaml": "reports",
        "organisation/bureaus.csv": "bureaus",
        "organisation/sections.csv": "sections",
        "systems/systems.csv": "systems",
        "systems/bureau_counts.csv": "bureau_counts",
        "systems/audited_systems.yaml": "audited_systems",
        "systems/expenditure_by_bureau.csv": "expenditure_by_bureau",
        "systems/expenditure_by_system.csv": "expenditure_by_system",
        "budgets/fields.csv": "fields",
        "budgets/field_funding.csv": "field_funding",
        "budgets/lines.csv": "lines",
        "budgets/projects.yaml": "projects",
        "budgets/core_city_comparison.csv": "core_city_comparison",
        "findings.yaml": "findings",
        "stated_totals.csv": "stated_totals",
        "repairs.csv": "repairs",
        "history/measures.yaml": "measures",
        "history/publications.csv": "publications",
    }


def test_cells_are_typed_and_formatted(full):
    book = load(full)
    reports = book["reports"]
    published = cell(reports, 2, "published_on")
    assert published.value == datetime.datetime(2025, 4, 11) and published.number_format == "yyyy-mm-dd"
    assert cell(reports, 2, "fiscal_year").value == 2024
    assert cell(reports, 3, "auditor").value is None  # null in YAML: an empty cell
    counts = book["report_stated_counts"]
    assert [c.value for c in counts[2]] == [REPORT, "systems", 162]
    lines = book["lines"]
    assert cell(lines, 2, "budget_thousand_yen").value == 11000
    assert cell(lines, 2, "budget_thousand_yen").number_format == "#,##0"
    assert cell(lines, 2, "minor_no").value is None
    assert cell(lines, 2, "title").number_format == "@"
    assert book["lines"].column_dimensions["D"].number_format == "@"  # rows added below stay text
    projects = book["projects"]
    assert cell(projects, 2, "extra").value == (
        '{"大項目": "2 便利な移動サービスの提供を進めます", "小項目": "1 金沢 MaaS による便利な移動サービスの提供"}'
    )
    contracts = book["project_contracts"]
    assert cell(contracts, 2, "extra").value is None  # {}: an empty cell
    findings = book["findings"]
    assert findings.freeze_panes == "A2"
    assert all(c.font.b for c in findings[1])
    assert cell(findings, 2, "detected").alignment.wrap_text
    assert 10 <= findings.column_dimensions["G"].width <= 62


def test_guide_sheet_explains_sheets_columns_types_and_units(full):
    guide = load(full)[GUIDE_SHEET]
    text = "\n".join(str(v) for row in guide.iter_rows(values_only=True) for v in row if v is not None)
    for sheet in ("findings", "finding_subjects", "report_stated_counts", "project_contracts", "repairs"):
        assert sheet in text
    for phrase in (
        "指摘・意見",
        "監査対象の DX 事業",
        "千円",
        "百万円",
        "日付 YYYY-MM-DD",
        "真偽（true または空欄）",
        "必須",
        "計算結果",
        "空の行は読み飛ばします",
        "知らない列は警告",
        "必要な列がないとエラー",
    ):
        assert phrase in text, phrase
    rows = {(r[0], r[1]): r for r in guide.iter_rows(values_only=True) if r[0] and r[1]}
    assert rows[("lines", "budget_thousand_yen")][2:] == ("予算額", "整数", None, "千円")
    assert rows[("expenditure_by_bureau", "actual_million_yen")][5] == "百万円"
    assert rows[("project_contracts", "contract_amount_yen")][5] == "円"
    assert rows[("findings", "title")][3:5] == ("文字列", "必須")
    assert "親シート findings" in rows[("finding_subjects", "code")][2]


def test_template_without_a_report_is_headers_only():
    data = template_bytes()
    book = load(data)
    assert book.sheetnames[0] == GUIDE_SHEET
    for title in book.sheetnames[1:]:
        assert book[title].max_row == 1, title
    bundle = read_workbook(data)
    assert bundle.problems == [] and bundle.warnings == []
    assert bundle.files == {name: [] for name in FILE_ORDER}


# -- edits: the dry run shows exactly the one change ------------------------------------------------------------------


@pytest.mark.parametrize(
    "sheet, match, column, value, label",
    [
        ("findings", {"report": REPORT, "code": "意見04"}, "title", "最低制限価格の設定根拠（訂正）", "指摘・意見"),
        ("systems", {"number": 2}, "name", "まちなか駐車場管理システム（改）", "情報システム"),
        ("audited_system_budgets", {"number": 5, "fiscal_year": 2022}, "budget_thousand_yen", 3250, None),
        ("finding_subjects", {"code": "意見04", "project": "水害ハザードマップ事業"}, "note", "メモ", None),
        ("project_contracts", {"project": "スマート林業推進事業"}, "contract_amount_thousand_yen", 73470, "契約"),
    ],
)
def test_an_edited_cell_is_exactly_one_change(full, sheet, match, column, value, label):
    bundle = read_workbook(edited(full, sheet, column, value, **match))
    assert bundle.problems == [] and bundle.warnings == []
    assert check_bundle(bundle).errors == []
    changed = touched(load_bundle(bundle, dry_run=True))
    assert len(changed) == 1, changed
    (name, stats), *_ = changed.items()
    if label:
        assert name == label
    assert (stats.created, stats.updated, stats.deleted) == (0, 1, 0)
    edits = [c for c in stats.changes if ": search_text " not in c]  # the search key is derived from the text
    assert len(edits) == 1 and f": {column} " in edits[0] and str(value) in edits[0]


def test_a_deleted_child_row_is_one_deletion(full):
    book = load(full)
    ws = book["finding_sections"]
    ws.delete_rows(2)
    changed = touched(load_bundle(read_workbook(save(book)), dry_run=True))
    assert [(k, s.deleted, s.updated, s.created) for k, s in changed.items()] == [("報告書記載の所管課", 1, 0, 0)]


def test_child_rows_keep_their_row_order(full, folder):
    book = load(full)
    ws = book["finding_subjects"]
    first = find_row(ws, code="意見04", project="スマート林業推進事業")
    last = find_row(ws, code="意見04", project="水害ハザードマップ事業")
    a, b = ([c.value for c in ws[r]] for r in (first, last))
    for c, (x, y) in enumerate(zip(a, b, strict=True), start=1):
        ws.cell(row=first, column=c).value, ws.cell(row=last, column=c).value = y, x
    bundle = read_workbook(save(book))
    finding = next(f for f in bundle.rows("findings.yaml") if f["code"] == "意見04")
    expected = next(f for f in folder.rows("findings.yaml") if f["code"] == "意見04")["subjects"]
    assert finding["subjects"] == [expected[-1], *expected[1:-1], expected[0]]


def test_blank_rows_are_skipped(full, folder):
    book = load(full)
    book["findings"].insert_rows(5, amount=2)
    book["finding_subjects"].insert_rows(3)
    bundle = read_workbook(save(book))
    assert bundle.problems == [] and bundle.warnings == []
    assert bundle.rows("findings.yaml") == folder.rows("findings.yaml")
    assert bundle.rows("findings.yaml")[3].where == "行 7"


# -- cell values --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["2025-04-11", datetime.datetime(2025, 4, 11), datetime.date(2025, 4, 11), " 2025-04-11 "]
)
def test_dates_as_date_cells_or_iso_text(full, value):
    bundle = read_workbook(edited(full, "reports", "published_on", value, code=REPORT))
    assert bundle.problems == []
    assert bundle.rows("reports.yaml")[0]["published_on"] == datetime.date(2025, 4, 11)


def test_a_date_with_a_time_is_a_problem(full):
    bundle = read_workbook(edited(full, "reports", "published_on", datetime.datetime(2025, 4, 11, 9, 30), code=REPORT))
    assert messages(bundle.problems) == [
        "シート reports / 行 2 / 列 published_on: 日付は YYYY-MM-DD で書いてください（'2025-04-11 09:30:00'）"
    ]


def test_whole_floats_are_integers_and_numbers_in_text_columns_are_text(full, folder):
    def change(xml):
        xml = replace_cell(xml, "E2", '<c r="E2" t="n"><v>11000.0</v></c>')  # budget_thousand_yen
        xml = replace_cell(xml, "B2", '<c r="B2" t="n"><v>1.0</v></c>')  # major_no
        return replace_cell(xml, "D2", '<c r="D2" t="n"><v>12.0</v></c>')  # title (text)

    bundle = read_workbook(patch_sheet(full, "lines", change))
    assert bundle.problems == []
    row = bundle.rows("budgets/lines.csv")[0]
    assert row["budget_thousand_yen"] == 11000 and type(row["budget_thousand_yen"]) is int
    assert row["major_no"] == 1
    assert row["title"] == "12"  # not "12.0"


def test_fractions_in_text_and_integer_columns(full):
    def change(xml):
        xml = replace_cell(xml, "E2", '<c r="E2" t="n"><v>0.77</v></c>')  # value (text)
        return replace_cell(xml, "F2", '<c r="F2" t="n"><v>286.5</v></c>')  # source_line (integer)

    bundle = read_workbook(patch_sheet(full, "core_city_comparison", change))
    assert bundle.rows("budgets/core_city_comparison.csv")[0]["value"] == "0.77"
    assert messages(bundle.problems) == [
        "シート core_city_comparison / 行 2 / 列 source_line: 整数が必要です（'286.5'）"
    ]


@pytest.mark.parametrize(
    "title", ["'令和6年度（仮）", "’全角のアポストロフィ", "＝全角の等号", "0123", "  前後の空白  "]
)
def test_japanese_text_is_kept_verbatim(full, title):
    book = load(full)
    ws = book["findings"]
    target = cell(ws, find_row(ws, code="意見04"), "title")
    target.value = title
    target.quotePrefix = True  # what Excel stores when staff type a leading apostrophe
    bundle = read_workbook(save(book))
    assert bundle.problems == [] and bundle.warnings == []
    assert next(f for f in bundle.rows("findings.yaml") if f["code"] == "意見04")["title"] == title


def test_a_number_typed_into_a_text_column(full):
    bundle = read_workbook(edited(full, "project_contracts", "bidders_text", 4, project="スマート林業推進事業"))
    assert bundle.problems == []
    assert bundle.rows("budgets/projects.yaml")[1]["contracts"][0]["bidders_text"] == "4"


@pytest.mark.parametrize("value, expected", [(True, True), ("TRUE", True), ("true", True), (None, False)])
def test_bool_cells(full, value, expected):
    bundle = read_workbook(edited(full, "lines", "reprint", value, field="産業", major_no=1, minor_no=None))
    assert bundle.problems == []
    assert bundle.rows("budgets/lines.csv")[0]["reprint"] is expected


def test_a_bad_bool(full):
    bundle = read_workbook(edited(full, "lines", "reprint", "再掲", field="産業", major_no=1, minor_no=None))
    assert messages(bundle.problems) == ["シート lines / 行 2 / 列 reprint: true か空欄で書いてください（'再掲'）"]


def test_bad_json_names_sheet_row_and_column(full):
    bundle = read_workbook(edited(full, "projects", "extra", '{"大項目": 2 便利}', name="スマート林業推進事業"))
    assert len(bundle.problems) == 1
    assert messages(bundle.problems)[0].startswith("シート projects / 行 3 / 列 extra: JSON として読めません（1 行 ")


def test_json_that_is_not_a_mapping_in_a_child_sheet(full):
    bundle = read_workbook(edited(full, "project_contracts", "extra", '["a"]', project="スマート林業推進事業"))
    assert messages(bundle.problems) == ["シート project_contracts / 行 2 / 列 extra: 対応表（キー: 値）が必要です"]


def test_a_bad_value_in_a_child_row_points_at_the_child_sheet(full):
    bundle = read_workbook(edited(full, "audited_system_budgets", "fiscal_year", "R5", number=5, fiscal_year=2023))
    assert messages(bundle.problems) == [
        "シート audited_system_budgets / 行 4 / 列 fiscal_year: 整数が必要です（'R5'）"
    ]


def test_stated_counts_rows(full):
    book = load(full)
    ws = book["report_stated_counts"]
    cell(ws, find_row(ws, key="指摘"), "value").value = "3"  # a count in a cell formatted as text
    bundle = read_workbook(save(book))
    assert bundle.problems == []
    assert bundle.rows("reports.yaml")[0]["stated_counts"]["指摘"] == 3
    cell(ws, find_row(ws, key="意見"), "value").value = "多数"
    cell(ws, find_row(ws, key="systems"), "key").value = "指摘"
    bundle = read_workbook(save(book))
    assert messages(bundle.problems) == [
        "シート report_stated_counts / 行 3 / 列 value: 整数が必要です（'多数'）",
        "シート report_stated_counts / 行 6 / 列 key: 同じ名前「指摘」が複数あります",
    ]
