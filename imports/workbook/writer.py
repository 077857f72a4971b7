"""Writing the report-data workbook: the 説明 sheet, then one table per sheet (`template_bytes`)."""

import csv
import datetime
import io
import json
import unicodedata

import yaml
from openpyxl.utils import get_column_letter

from auditreg import xlsx
from auditreg.models import CitySettings
from auditreg.xlsx import new_workbook
from findings.bundle.exporter import bundle_files
from findings.bundle.schema import (
    CSV_FILES,
    REQUIRED_FILES,
    Col,
)

from .layout import CORE_CHILDREN, GUIDE_SHEET, LAYOUT, SheetSpec, _parent_value

# -- writing ----------------------------------------------------------------------------------------------------


def template_bytes(report=None) -> bytes:
    """The workbook: 説明 and one sheet per bundle file (and nested list), pre-filled with `report`'s canonical
    export (`bundle_files`) or, without a report, headers only."""
    records = _export_records(report) if report is not None else {}
    book = new_workbook()  # the body font as the default: a column width counts its half-width characters
    _write_guide(book.active)
    for spec in LAYOUT:
        rows = _sheet_rows(spec, records.get(spec.file, []))
        # a report's workbook holds the sheets it has data for (no empty systems or budget sheets forced on
        # a report without them); the blank template holds every sheet
        if (
            report is not None
            and not rows
            and spec.file not in REQUIRED_FILES
            and (spec.parent or spec.file not in records)
        ):
            continue
        if report is not None and spec.parent and not rows and spec.fills not in CORE_CHILDREN:
            continue
        _write_table(book.create_sheet(spec.title), spec.columns, rows)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _export_records(report) -> dict[str, list[dict]]:
    """The canonical export parsed back: CSV text -> rows of strings, YAML text -> items."""
    records = {}
    for name, text in bundle_files(report).items():
        if name in CSV_FILES:
            records[name] = list(csv.DictReader(io.StringIO(text, newline="")))
        else:
            records[name] = yaml.safe_load(text) or []
    return records


def _sheet_rows(spec: SheetSpec, items: list[dict]) -> list[list]:
    if not spec.parent:
        return [[_to_excel(item.get(c.name), c.type) for c in spec.columns] for item in items]
    rows = []
    width = len(spec.keys)
    for item in items:
        pairs = zip(spec.keys, spec.columns[:width], strict=True)
        key = [_to_excel(_parent_value(item, there), col.type) for (_, there), col in pairs]
        nested = item.get(spec.fills) or []
        if isinstance(nested, dict):  # stated_counts: one row per (key, value)
            nested = [{"key": k, "value": v} for k, v in nested.items()]
        for entry in nested:
            rows.append(key + [_to_excel(entry.get(c.name), c.type) for c in spec.columns[width:]])
    return rows


def _to_excel(value, kind: str):
    """A value of the export (CSV text or YAML) as the cell to write: numbers and dates as such, text as text."""
    if value is None or value == "" or value is False or value == {}:
        return None
    if kind in ("int", "optint"):
        try:
            return int(value)
        except (TypeError, ValueError):
            return str(value)
    if kind == "date":
        if isinstance(value, datetime.date):
            return value
        try:
            return datetime.date.fromisoformat(str(value))
        except ValueError:
            return str(value)
    if kind == "bool":
        return "true" if value is True or str(value).lower() == "true" else str(value)
    if kind == "dict":
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


MONEY_FORMAT = "#,##0"
DATE_FORMAT = "yyyy-mm-dd"
TEXT_FORMAT = "@"  # Excel's 文字列 format: what staff type into a text column stays text (0123, 77%)
MAX_WIDTH = 60


def _styles():
    return {"header_font": xlsx.BOLD_FONT, "header_fill": xlsx.HEADER_FILL, "wrap": xlsx.WRAP, "top": xlsx.TOP}


def _number_format(col: Col) -> str | None:
    if col.type in ("str", "text", "bool", "dict"):
        return TEXT_FORMAT
    if col.type == "date":
        return DATE_FORMAT
    if col.name.endswith("_yen"):
        return MONEY_FORMAT
    return None


def _write_table(ws, columns: tuple[Col, ...], rows: list[list]) -> None:
    style = _styles()
    for c, col in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=c, value=col.name)
        cell.font = style["header_font"]
        cell.fill = style["header_fill"]
    formats = [_number_format(col) for col in columns]
    widths = _write_cells(ws, columns, rows, formats)
    for c, fmt in enumerate(formats, start=1):
        dimension = ws.column_dimensions[get_column_letter(c)]
        dimension.width = min(widths[c - 1] + 2, MAX_WIDTH)
        if fmt:
            dimension.number_format = fmt  # the column's default, for rows staff add below
    _wrap_long_text(ws, columns, rows, style["wrap"])
    ws.freeze_panes = "A2"
    if columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(len(rows) + 1, 2)}"


def _write_cells(ws, columns: tuple[Col, ...], rows: list[list], formats: list) -> list[int]:
    """The rows below the header; the width each column needs."""
    widths = [_width(col.name) for col in columns]
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            if value is None:
                continue
            cell = ws.cell(row=r, column=c, value=value)
            if isinstance(value, str):
                if value.startswith("="):
                    cell.data_type = "s"  # text that looks like a formula stays text
                widths[c - 1] = max(widths[c - 1], _width(value))
            if formats[c - 1]:
                cell.number_format = formats[c - 1]
    return widths


def _wrap_long_text(ws, columns: tuple[Col, ...], rows: list[list], wrap) -> None:
    """Long text wraps: a second pass, now that the widths are known."""
    for c, col in enumerate(columns, start=1):
        if col.type not in ("str", "text", "dict"):
            continue
        limit = ws.column_dimensions[get_column_letter(c)].width
        for r, values in enumerate(rows, start=2):
            value = values[c - 1]
            if isinstance(value, str) and ("\n" in value or _width(value) > limit):
                ws.cell(row=r, column=c).alignment = wrap


def _width(text: str) -> int:
    """Display width of the first line, counting East Asian wide characters twice (enough for a column)."""
    line = text.split("\n", 1)[0][: MAX_WIDTH * 2]
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


# -- the 説明 sheet ------------------------------------------------------------------------------------------------

RULES = [
    "このブックは、監査報告書のデータ（フォルダ形式の CSV・YAML ファイルと同じ内容）を Excel にしたものです。"
    "シートごとに一種類のデータで、1 行が 1 件です。シート名と列名は英字のキー（ファイル・列の名前と同じ）です。",
    "1 行目は列名です。列名は変えないでください（列の並び順は変えても構いません）。"
    "必要な列がないとエラー、同じ名前の列が二つあるとエラー、知らない列は警告を出して読み飛ばします。",
    "値だけを読みます。数式のセルは Excel が最後に計算した結果の値を取り込みます（どのセルかを警告で示します）。"
    "計算結果が保存されていない数式はエラーです。値として貼り付けてください。書式・色・コメントは読みません。",
    "空の行は読み飛ばします。行を削除するとそのデータを削除し、行を追加すると新しく作成します"
    "（番号・システム No.・事業名などのキーで突き合わせます）。取り込む前に、変更点を確認画面で確かめられます。",
    "子シート（finding_subjects など）の行は、先頭のキー列（例: report と code）で親シートの行に結び付きます。"
    "並び順は子シートの行の順です。親シートにないキーの行はエラーです。",
    "型: 文字列 / 整数（桁区切りの , は可）/ 日付（日付のセル、または 2025-04-11 の形の文字列）/ "
    '真偽（true または空欄）/ JSON（{"見出し": "値"} の形。空欄は「なし」）。必須の列は空欄にできません。',
    "金額は報告書に印刷された単位の整数です。単位は列名の末尾で示します: _thousand_yen は千円、_million_yen は百万円、"
    "_yen は円。報告書の「-」（なし）は空欄、0 は 0 と書きます。",
    "文字列の列に数値や日付を入れると、その値を文字列にして取り込みます（表示形式は反映されません。"
    "77% は 0.77 になります）。このため文字列の列はあらかじめ「文字列」の表示形式にしてあります。",
    "必須のシートは reports・bureaus・sections・findings とその子シートです。ほかのシートは削除できますが、"
    "削除するとそのデータがないものとして取り込みます（登録済みのデータは削除されます）。"
    "親シートがあるときは子シートも必要です。知らないシートは警告を出して読み飛ばします。この「説明」シートは読みません。",
]

TYPE_JA = {
    "str": "文字列",
    "text": "文字列",
    "int": "整数",
    "optint": "整数",
    "date": "日付 YYYY-MM-DD",
    "bool": "真偽（true または空欄）",
    "dict": 'JSON（{"見出し": "値"}）',
}
UNITS = (("_thousand_yen", "千円"), ("_million_yen", "百万円"), ("_yen", "円"))


def _meaning(spec: SheetSpec, col: Col) -> str:
    meaning = col.meaning  # findings/bundle/meanings.py
    if spec.parent and col.name in dict(spec.keys):
        meaning = f"{meaning}。親シート {spec.parent} の行を指すキー".lstrip("。")
    return meaning


def _write_guide(ws) -> None:
    style = _styles()
    ws.title = GUIDE_SHEET
    ws.append(["報告書データ（Excel）の書き方"])
    ws["A1"].font = xlsx.TITLE_FONT
    ws.append([])
    widths = (24, 34, 56, 24, 8, 10)

    source = CitySettings.current().source_text_name
    rules = [*RULES, f"source_line（行番号）は「{source}」の行です。"] if source else RULES
    for i, rule in enumerate(rules, start=1):  # one merged, wrapped cell per rule; Excel does not size merged rows
        ws.append([f"{i}. {rule}"])
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=len(widths))
        ws.cell(row=ws.max_row, column=1).alignment = style["wrap"]
        ws.row_dimensions[ws.max_row].height = xlsx.row_height([rule], [xlsx.chars_per_line(sum(widths))])
    ws.append([])
    _guide_table(
        ws,
        style,
        ["シート", "内容", "対応するファイル", "親シート", "親の行を指すキー列", "要否"],
        [
            [
                s.title,
                s.name_ja,
                s.file + (f" の {s.fills}" if s.parent else ""),
                s.parent,
                ", ".join(f"{here}（親の {there}）" for here, there in s.keys),
                "必須" if s.file in REQUIRED_FILES else "省略可",
            ]
            for s in LAYOUT
        ],
    )
    ws.append([])
    _guide_table(
        ws,
        style,
        ["シート", "列", "意味", "型", "必須", "金額の単位"],
        [
            [
                s.title,
                col.name,
                _meaning(s, col),
                TYPE_JA[col.type],
                "必須" if col.type in ("str", "int") else "",
                next((unit for suffix, unit in UNITS if col.name.endswith(suffix)), ""),
            ]
            for s in LAYOUT
            for col in s.columns
        ],
    )
    for letter, width in zip("ABCDEF", widths, strict=True):
        ws.column_dimensions[letter].width = width


def _guide_table(ws, style, header: list[str], rows: list[list[str]]) -> None:
    ws.append(header)
    for cell in ws[ws.max_row]:
        cell.font = style["header_font"]
        cell.fill = style["header_fill"]
    for row in rows:
        ws.append(row)
        for cell in ws[ws.max_row]:
            cell.alignment = style["top"]
