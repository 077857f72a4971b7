"""Helpers of tests/imports/test_workbook*.py: loading and saving a workbook, finding a row and a cell,
editing a cell or a sheet's XML, and reading a result's changes and problems (the full and folder fixtures
are in conftest.py)."""

import io
import re
import zipfile

import openpyxl

from imports.workbook import place

REPORT = "kanazawa-2024-dx"


# -- helpers -------------------------------------------------------------------------------------------------------


def load(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def save(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def columns(ws) -> list:
    return [c.value for c in ws[1]]


def find_row(ws, **match) -> int:
    names = columns(ws)
    for row in ws.iter_rows(min_row=2):
        values = {names[i]: c.value for i, c in enumerate(row)}
        if all(values.get(k) == v for k, v in match.items()):
            return row[0].row
    raise AssertionError(f"no row {match} in {ws.title}")


def cell(ws, row: int, column: str):
    return ws.cell(row=row, column=columns(ws).index(column) + 1)


def edited(data: bytes, sheet: str, column: str, value, **match) -> bytes:
    book = load(data)
    ws = book[sheet]
    cell(ws, find_row(ws, **match), column).value = value
    return save(book)


def patch_sheet(data: bytes, title: str, change) -> bytes:
    """Rewrite one worksheet's XML inside the xlsx (openpyxl cannot write a formula's cached value or a float 12.0)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    index = load(data).sheetnames.index(title)  # openpyxl writes sheet n as xl/worksheets/sheet{n}.xml
    target = f"xl/worksheets/sheet{index + 1}.xml"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == target:
                content = change(content.decode()).encode()
            archive.writestr(info, content)
    return out.getvalue()


def replace_cell(xml: str, ref: str, new: str) -> str:
    pattern = re.compile(rf'<c r="{ref}"(?:\s[^>]*)?(?:/>|>.*?</c>)', re.S)
    assert pattern.search(xml), f"{ref} not in sheet"
    return pattern.sub(new, xml, count=1)


def touched(result) -> dict:
    return {label: s for label, s in result.stats.items() if s.touched}


def messages(problems) -> list[str]:
    """Each problem as the workbook user reads it: sheet / row / column: message."""
    return [
        " / ".join(p for p in (place(x), f"列 {x.field}" if x.field else "") if p) + f": {x.message}" for x in problems
    ]
