"""Reading the report-data workbook back into the `Bundle` that read_bundle gives for the same folder
(`read_workbook`), with problems that point at sheets, rows and columns."""

import datetime
import json
from collections import Counter
from dataclasses import dataclass

from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.cell import coordinate_from_string

from auditreg import wareki
from findings.bundle.reader import Bundle, Located, Problem, read_items, read_table
from findings.bundle.schema import (
    CSV_FILES,
    REQUIRED_FILES,
    YAML_FILES,
    Col,
)

from ..uploads import Sheet, read_workbook_values
from .layout import (
    _CHILDREN,
    CHILD_DICTS,
    GUIDE_SHEET,
    LAYOUT,
    PARENT_KEYS,
    SheetSpec,
    _parent_value,
)

# -- reading ----------------------------------------------------------------------------------------------------


def read_workbook(data: bytes, *, label: str = "") -> Bundle:
    """Read a workbook in the template's form into the Bundle that read_bundle gives for the same data as a folder.
    Raises UploadRefused (from read_workbook_values) when the file is not a readable workbook."""
    sheets = read_workbook_values(data)
    bundle = Bundle(root=label or "（アップロード）")
    found = {title.strip().casefold(): sheet for title, sheet in sheets.items()}
    used = {GUIDE_SHEET.casefold()}
    for spec in LAYOUT:
        if spec.parent:
            continue
        sheet = found.get(spec.title.casefold())
        if sheet is None:
            if spec.file in REQUIRED_FILES:
                bundle.problems.append(Problem(spec.file, "", "", "シートがありません"))
            for child in _CHILDREN[spec.file]:
                if child.title.casefold() in found:
                    used.add(child.title.casefold())
                    bundle.warnings.append(
                        Problem(spec.file, child.whole, "", f"シート {spec.title} がないため読み飛ばします")
                    )
            continue
        used.add(spec.title.casefold())
        if spec.file in CSV_FILES:
            _read_flat(bundle, spec, sheet)
        else:
            used |= {c.title.casefold() for c in _CHILDREN[spec.file]}
            _read_nested(bundle, spec, sheet, found)
    for title in sheets:
        if title.strip().casefold() not in used:
            bundle.warnings.append(Problem("", f"シート {title}", "", "知らないシートは読み飛ばします"))
    return bundle


@dataclass
class _Table:
    header: list[str]
    rows: list[tuple[int, list]]  # (Excel row number, cells aligned with the header)


def _open(bundle: Bundle, spec: SheetSpec, sheet: Sheet) -> _Table | None:
    """The sheet's header and data rows; reports formulas, blank-header columns and duplicate column names."""

    def problem(record, fld, message):
        bundle.problems.append(Problem(spec.file, record, fld, message))

    def warning(record, fld, message):
        bundle.warnings.append(Problem(spec.file, record, fld, message))

    if not sheet.rows:
        problem(spec.whole, "", "シートが空です（見出し行がありません）")
        return None
    width = max(len(row) for row in sheet.rows)
    names = [_header_text(v) for v in sheet.rows[0]] + [""] * (width - len(sheet.rows[0]))
    missing_value = set(sheet.formulas_without_value)
    calculated = [cell for cell in sheet.formulas if cell not in missing_value]
    if calculated:
        shown = ", ".join(calculated[:30]) + (f" ほか {len(calculated) - 30} セル" if len(calculated) > 30 else "")
        warning(spec.whole, "", f"数式のセルは計算結果の値を取り込みます: {shown}")
    for ref in sheet.formulas_without_value:
        letter, row = coordinate_from_string(ref)
        index = column_index_from_string(letter) - 1
        fld = names[index] if index < len(names) and names[index] else f"列 {letter}"
        problem(spec.record(row), fld, f"数式に計算結果が保存されていません。値として貼り付けてください（セル {ref}）")
    if not any(names):
        problem(spec.record(1), "", "シートが空です（見出し行がありません）")
        return None
    blank = [i for i, name in enumerate(names) if not name]
    with_data = [get_column_letter(i + 1) for i in blank if any(_filled(r[i]) for r in sheet.rows[1:] if i < len(r))]
    if with_data:
        warning(spec.record(1), ", ".join(f"列 {x}" for x in with_data), "見出し（列名）のない列の値は読み飛ばします")
    keep = [i for i, name in enumerate(names) if name]
    header = [names[i] for i in keep]
    duplicates = [name for name, n in Counter(header).items() if n > 1]
    if duplicates:
        cells = ", ".join(f"{get_column_letter(i + 1)}1" for i in keep if names[i] in duplicates)
        problem(spec.record(1), ", ".join(duplicates), f"同じ名前の列が複数あります（{cells}）")
        return None
    rows = [
        (number, [row[i] if i < len(row) else None for i in keep]) for number, row in enumerate(sheet.rows[1:], start=2)
    ]
    return _Table(header, rows)


def _read_flat(bundle: Bundle, spec: SheetSpec, sheet: Sheet) -> None:
    """A CSV file's sheet: the reader's own table reading, on cells converted for the columns' types."""
    table = _open(bundle, spec, sheet)
    if table is None:
        return
    kinds = {c.name: c.type for c in spec.columns}
    rows = (
        (spec.record(n), [_from_excel(v, kinds.get(h, "any")) for h, v in zip(table.header, cells, strict=True)])
        for n, cells in table.rows
    )
    read_table(bundle, spec.file, spec.columns, table.header, rows)


def _has_columns(bundle: Bundle, spec: SheetSpec, header: list[str]) -> bool:
    """The header checks read_table makes for a CSV file, for the sheets of a nested file."""
    expected = [c.name for c in spec.columns]
    missing = [c.name for c in spec.columns if c.name not in header and not c.optional]
    if missing:
        bundle.problems.append(Problem(spec.file, spec.record(1), ", ".join(missing), "必要な列がありません"))
        return False
    extra = [h for h in header if h not in expected]
    if extra:
        bundle.warnings.append(Problem(spec.file, spec.record(1), ", ".join(extra), "知らない列は読み飛ばします"))
    return True


def _read_nested(bundle: Bundle, spec: SheetSpec, sheet: Sheet, found: dict[str, Sheet]) -> None:
    """A nested file: the parent sheet's rows become items, the child sheets' rows their nested lists."""
    table = _open(bundle, spec, sheet)
    if table is None or not _has_columns(bundle, spec, table.header):
        return
    children = _CHILDREN[spec.file]
    items = []
    by_key: dict[tuple, dict] = {}
    for number, cells in table.rows:
        if not any(_filled(v) for v in cells):
            continue
        where = spec.record(number)
        values = dict(zip(table.header, cells, strict=True))
        raw = {col.name: _cell_value(bundle, spec, where, col, values.get(col.name)) for col in spec.columns}
        for child in children:
            raw[child.fills] = {} if (spec.file, child.fills) in CHILD_DICTS else []
        items.append((where, raw))
        by_key.setdefault(tuple(_key_text(_parent_value(raw, there)) for _, there in PARENT_KEYS[spec.file]), raw)
    for child in children:
        child_sheet = found.get(child.title.casefold())
        if child_sheet is None:  # no sheet: no entries (a report without subjects needs no empty sheet)
            continue
        _read_child(bundle, child, child_sheet, by_key)
    read_items(bundle, spec.file, YAML_FILES[spec.file], items)


def _read_child(bundle: Bundle, spec: SheetSpec, sheet: Sheet, parents: dict[tuple, dict]) -> None:
    table = _open(bundle, spec, sheet)
    if table is None or not _has_columns(bundle, spec, table.header):
        return
    width = len(spec.keys)
    key_columns = ", ".join(here for here, _ in spec.keys)
    for number, cells in table.rows:
        if not any(_filled(v) for v in cells):
            continue
        where = spec.record(number)
        values = dict(zip(table.header, cells, strict=True))
        key = tuple(
            _key_text(_from_excel(values[here], col.type))
            for (here, _), col in zip(spec.keys, spec.columns[:width], strict=True)
        )
        parent = parents.get(key)
        if parent is None:
            shown = ", ".join(f"{here}={k}" for (here, _), k in zip(spec.keys, key, strict=True))
            message = (
                "親の行を指すキーが空です"
                if not any(key)
                else f"シート {spec.parent} に {shown} の行がありません（先に親の行を追加してください）"
            )
            bundle.problems.append(Problem(spec.file, where, key_columns, message))
            continue
        entry = {col.name: _cell_value(bundle, spec, where, col, values.get(col.name)) for col in spec.columns[width:]}
        if isinstance(parent[spec.fills], dict):
            _add_count(bundle, spec, where, parent[spec.fills], entry)
        else:
            parent[spec.fills].append(Located(entry, where=where))


def _add_count(bundle: Bundle, spec: SheetSpec, where: str, counts: dict, entry: dict) -> None:
    """One (key, value) row of a dict kept as a child sheet (stated_counts: name -> integer)."""

    def problem(fld, message):
        bundle.problems.append(Problem(spec.file, where, fld, message))

    key, value = entry["key"], entry["value"]
    if not isinstance(key, str) or not key.strip():
        problem("key", "必須項目が空です")
        return
    key = key.strip()
    text = value.strip().replace(",", "") if isinstance(value, str) else ""
    if text.isascii() and text.isdigit():  # a count typed into a cell formatted as text
        value = int(text)
    if value is None or value == "":
        problem("value", "必須項目が空です")
    elif not isinstance(value, int) or isinstance(value, bool):
        problem("value", f"整数が必要です（{str(value)[:40]!r}）")
    elif key in counts:
        problem("key", f"同じ名前「{key}」が複数あります")
    else:
        counts[key] = value


def _cell_value(bundle: Bundle, spec: SheetSpec, where: str, col: Col, value):
    """A cell as the raw value the YAML reader expects; a dict column's cell is JSON text."""
    if col.type != "dict":
        return _from_excel(value, col.type)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    example = '例: {"見出し": "値"}'
    if not isinstance(value, str):
        bundle.problems.append(Problem(spec.file, where, col.name, f"JSON の文字列で書いてください（{example}）"))
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        bundle.problems.append(
            Problem(
                spec.file,
                where,
                col.name,
                f"JSON として読めません（{exc.lineno} 行 {exc.colno} 文字目: {exc.msg}。{example}）",
            )
        )
        return None


def _from_excel(value, kind: str):
    """An Excel value as the reader expects it for a column of type `kind`: whole floats -> int, a datetime at
    midnight -> date, and in a text column numbers and dates -> the text they show (12, not 12.0)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime) and value.time() == datetime.time(0) and value.tzinfo is None:
        value = value.date()
    if kind == "date" and isinstance(value, str) and value.strip():
        try:  # a date typed as text (令和7年4月1日, R7.4.1): the one era-checked reader
            return wareki.parse_date(value[:60])
        except wareki.DateParseError:
            return value  # the bundle reader reports it with the row and column
    if kind in ("str", "text") and not isinstance(value, (str, bool)) and value is not None:
        if isinstance(value, datetime.datetime):
            return value.isoformat(sep=" ")
        if isinstance(value, (datetime.date, datetime.time)):
            return value.isoformat()
        return str(value)
    return value


def _header_text(value) -> str:
    return "" if value is None else str(_from_excel(value, "str")).strip()


def _key_text(value) -> str:
    """A key cell compared as text, so that 17 (a number) and "17" (text) find the same parent row."""
    return "" if value is None else str(_from_excel(value, "str")).strip()


def _filled(value) -> bool:
    return value is not None and bool(str(value).strip())
