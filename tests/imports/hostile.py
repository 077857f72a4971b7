"""Hostile upload files, built from a real workbook or bundle zip: the files an outside test used against the
running app (rows padded to column XFD, one 200 MiB cell, billion laughs, a flipped byte) and their relatives.
Each builder returns the bytes of one file; `measure` runs a callable and reports its CPU time and peak memory."""

import io
import re
import resource
import time
import tracemalloc
import zipfile
from dataclasses import dataclass


def rewrite(data: bytes, edits: dict[str, bytes | None], *, extra: dict[str, bytes] | None = None) -> bytes:
    """The zip `data` with some members replaced (None drops one) and some added; deflated as Excel does."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename in edits:
                if edits[info.filename] is not None:
                    target.writestr(info.filename, edits[info.filename])
            else:
                target.writestr(info, source.read(info))
        for name, content in (extra or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def first_sheet(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return sorted(n for n in archive.namelist() if n.startswith("xl/worksheets/sheet"))[0]


def _with_rows(data: bytes, sheet: str, rows: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read(sheet)
    xml = xml.replace(b"<sheetData/>", b"<sheetData></sheetData>")
    head, _, tail = xml.partition(b"</sheetData>")
    return rewrite(data, {sheet: head + rows + b"</sheetData>" + tail})


def xfd_padded(data: bytes, sheet: str, rows: int = 20_000, first: int = 20) -> bytes:
    """Rows padded to column XFD (the 16,384th): an empty cell at the end of each of `rows` rows."""
    padding = b"".join(b'<row r="%d"><c r="XFD%d"/></row>' % (r, r) for r in range(first, first + rows))
    return _with_rows(data, sheet, padding)


def far_row(data: bytes, sheet: str, row: int = 1_048_576) -> bytes:
    """One cell in the last row Excel has: a reader that fills the gap builds a million empty rows."""
    return _with_rows(data, sheet, b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>x</t></is></c></row>' % (row, row))


def many_rows(data: bytes, sheet: str, rows: int = 200_000) -> bytes:
    """Rows without a reference, one after the other (each row's number is the previous one's + 1)."""
    return _with_rows(data, sheet, b"<row><c><v>1</v></c></row>" * rows)


def long_cell(data: bytes, sheet: str, chars: int, *, shared: bool) -> bytes:
    """One cell of `chars` characters, as a shared string (sharedStrings.xml) or an inline string."""
    text = b"A" * chars
    if not shared:
        return _with_rows(data, sheet, b'<row r="9000"><c r="A9000" t="inlineStr"><is><t>%s</t></is></c></row>' % text)
    data = _with_rows(data, sheet, b'<row r="9000"><c r="A9000" t="s"><v>0</v></c></row>')
    strings = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>%s</t></si></sst>' % text
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        types = archive.read("[Content_Types].xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
    if "xl/sharedStrings.xml" in names:
        return rewrite(data, {"xl/sharedStrings.xml": strings})
    types = types.replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    rels = rels.replace(
        b"</Relationships>",
        b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )
    edits = {"[Content_Types].xml": types, "xl/_rels/workbook.xml.rels": rels}
    return rewrite(data, edits, extra={"xl/sharedStrings.xml": strings})


LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    + b"]>"
)


def billion_laughs(data: bytes, part: str) -> bytes:
    """`part` prefixed with the classic entity bomb, one entity in its first text or attribute."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read(part)
    xml = re.sub(rb"^<\?xml[^>]*\?>", b"", xml.lstrip())
    if b"<t>" in xml:
        xml = xml.replace(b"<t>", b"<t>&lol9;", 1)
    else:
        xml = re.sub(rb"(<[A-Za-z:]+)", rb"\1 x='&lol9;'", xml, count=1)
    return rewrite(data, {part: LAUGHS + xml})


def flip_byte(data: bytes, member: str | None = None, at: float = 0.5) -> bytes:
    """One byte of a member's compressed data flipped (the central directory intact): Bad CRC-32 or a broken
    deflate stream when the member is read."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = [i for i in archive.infolist() if i.compress_size > 16]
        info = next((i for i in infos if i.filename == member), None) or max(infos, key=lambda i: i.compress_size)
    # the local header: 30 bytes + name + extra, then the compressed data
    start = info.header_offset + 30 + int.from_bytes(data[info.header_offset + 26 : info.header_offset + 28], "little")
    start += int.from_bytes(data[info.header_offset + 28 : info.header_offset + 30], "little")
    offset = start + min(int(info.compress_size * at), info.compress_size - 1)
    return data[:offset] + bytes([data[offset] ^ 0xFF]) + data[offset + 1 :]


def bomb_member(data: bytes, size: int, name: str = "xl/media/bomb.bin") -> bytes:
    """A member of `size` zero bytes (deflates about a thousand to one)."""
    return rewrite(data, {}, extra={name: b"\0" * size})


def many_members(data: bytes, n: int) -> bytes:
    return rewrite(data, {}, extra={f"extra/{i}.txt": b"x" for i in range(n)})


@dataclass
class Cost:
    cpu_seconds: float
    peak_mb: float
    outcome: object

    def __str__(self):
        return f"{self.cpu_seconds:.2f} s CPU, {self.peak_mb:.0f} MB peak"


def measure(call) -> Cost:
    """CPU time (time.process_time) and the peak of Python allocations (tracemalloc) of call()."""
    tracemalloc.start()
    started = time.process_time()
    try:
        try:
            outcome = call()
        except Exception as exc:  # noqa: BLE001 - reported, the caller asserts on it
            outcome = exc
        cpu = time.process_time() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return Cost(cpu, peak / 1024 / 1024, outcome)


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
