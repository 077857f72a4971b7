"""Untrusted files in: size limits, type sniffing, safe unpacking of zip archives and reading Excel
workbooks as plain values. Everything here refuses with a Japanese message (UploadRefused) and never
touches the database or the local disk."""

import io
import posixpath
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from xml.etree.ElementTree import ParseError
from xml.sax import SAXException
from xml.sax.handler import ContentHandler

import defusedxml
import defusedxml.ElementTree
import defusedxml.sax
import openpyxl
from django.conf import settings
from openpyxl.utils import get_column_letter

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (Excel 97-2003), .doc …


class UploadRefused(Exception):
    """The file cannot be read at all; `str(exc)` is the message for the user."""


def max_upload_bytes() -> int:
    return getattr(settings, "IMPORT_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)


def max_unpacked_bytes() -> int:
    return getattr(settings, "IMPORT_MAX_UNPACKED_BYTES", 60 * 1024 * 1024)


MAX_MEMBERS = 200
MAX_RATIO = 200  # a member that inflates more than this is treated as a zip bomb
# what a damaged archive raises while a member is inflated (Bad CRC-32, a cut deflate stream, an unknown method …)
DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError)


def read_upload(upload) -> bytes:
    """Read an UploadedFile, refusing it before reading when it is over the limit."""
    limit = max_upload_bytes()
    if upload.size is not None and upload.size > limit:
        raise UploadRefused(
            f"ファイルが大きすぎます（{upload.size:,} バイト。上限は {limit // 1024 // 1024}MB です）。"
        )
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise UploadRefused(f"ファイルが大きすぎます（上限は {limit // 1024 // 1024}MB です）。")
    if not data:
        raise UploadRefused("空のファイルです。")
    return data


def sniff(data: bytes) -> str:
    """'xlsx', 'zip', 'xls', 'text' or 'unknown', from the content (never from the file name)."""
    if data.startswith(OLE_MAGIC):
        return "xls"
    if data.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return "unknown"
        return "xlsx" if "xl/workbook.xml" in names and "[Content_Types].xml" in names else "zip"
    head = data[:4096]
    if b"\x00" not in head:
        return "text"
    return "unknown"


WRONG_TYPE = {
    "xls": "古い Excel 形式（.xls）は読めません。Excel で「Excel ブック（*.xlsx）」として保存し直してください。",
    "text": (
        "テキスト（CSV など）のファイル単体は取り込めません。"
        "CSV は報告書データの形式どおりフォルダにまとめて zip にしてください。"
    ),
    "unknown": "zip でも Excel（.xlsx）でもないファイルです。",
}


def expect(data: bytes, *kinds: str) -> str:
    kind = sniff(data)
    if kind in kinds:
        return kind
    if kind == "zip" and kinds == ("xlsx",):
        raise UploadRefused("Excel（.xlsx）のファイルを選んでください（zip が選ばれています）。")
    if kind == "xlsx" and kinds == ("zip",):
        raise UploadRefused("zip のファイルを選んでください（Excel ブックが選ばれています）。")
    raise UploadRefused(WRONG_TYPE.get(kind, WRONG_TYPE["unknown"]))


def _member_name(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if not (info.flag_bits & 0x800):  # not flagged UTF-8: Japanese Windows writes names in cp932
        try:
            name = name.encode("cp437").decode("cp932")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return name


def safe_unzip(data: bytes) -> dict[str, bytes]:
    """The regular files of a zip archive as {relative path: bytes}. Refuses absolute paths, '..',
    symbolic links, too many members, too much unpacked data and suspicious compression ratios
    before inflating anything; strips one common top folder (a zipped bundle folder)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UploadRefused(f"zip ファイルとして読めません（{exc}）。") from exc
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if len(infos) > MAX_MEMBERS:
            raise UploadRefused(f"zip の中のファイルが多すぎます（{len(infos)} 個。上限 {MAX_MEMBERS} 個）。")
        names = _checked_members(infos)
        # the members that are junk from desktop archivers
        junk = (".DS_Store", "Thumbs.db", "desktop.ini")
        names = [(n, i) for n, i in names if not (n.startswith("__MACOSX/") or n.split("/")[-1] in junk)]
        tops = {n.split("/", 1)[0] for n, _ in names if "/" in n}
        if len(tops) == 1 and all("/" in n for n, _ in names):
            prefix = tops.pop() + "/"
            names = [(n[len(prefix) :], i) for n, i in names]
        files: dict[str, bytes] = {}
        for name, info in names:
            if name in files:
                raise UploadRefused(f"zip の中に同じ名前のファイルが二つあります: {name[:100]}")
            remaining = max_unpacked_bytes() - sum(len(v) for v in files.values())
            try:
                with archive.open(info) as member:
                    content = member.read(min(info.file_size, remaining) + 1)  # never trust the header's size
            except DAMAGED as exc:
                raise UploadRefused(f"zip ファイルが壊れています（{name[:100]}: {_reason(exc)}）。") from exc
            if len(content) > info.file_size:
                raise UploadRefused(f"zip の中のファイルの大きさが記録と違います: {name[:100]}")
            files[name] = content
        return files


def _checked_members(infos) -> list[tuple[str, zipfile.ZipInfo]]:
    """(normalised path, info) of each member, refusing unsafe paths, links, encryption and zip bombs from the
    headers alone (nothing is inflated yet)."""
    total = 0
    names = []
    for info in infos:
        name = _member_name(info).replace("\\", "/")
        parts = name.split("/")
        if name.startswith("/") or ".." in parts or (parts and parts[0].endswith(":")):
            raise UploadRefused(f"zip の中に安全でないパスがあります: {name[:100]}")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise UploadRefused(f"zip の中にシンボリックリンクがあります: {name[:100]}")
        if info.flag_bits & 0x1:
            raise UploadRefused("パスワード付きの zip は読めません。")
        total += info.file_size
        if total > max_unpacked_bytes():
            raise UploadRefused(f"zip を展開すると {max_unpacked_bytes() // 1024 // 1024}MB を超えます。")
        if info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 1024 * 1024:
            raise UploadRefused(f"zip の圧縮率が異常です（zip 爆弾の疑い）: {name[:100]}")
        names.append((posixpath.normpath(name), info))
    return names


def _reason(exc: Exception) -> str:
    """A damaged archive's error for the message: zipfile's own words are English and short (Bad CRC-32 …)."""
    return f"{type(exc).__name__}: {str(exc)[:80]}" if str(exc) else type(exc).__name__


@dataclass(frozen=True)
class WorkbookLimits:
    """What a workbook may hold before any of it is parsed into cells: checked on the archive's directory
    and then on a streaming pass over its XML, so a hostile file is refused after reading at most the
    unpacked bytes allowed, and never builds a cell beyond these bounds."""

    unpacked_bytes: int = 60 * 1024 * 1024
    members: int = 500
    sheets: int = 100
    # the real report's template: 740 KB unpacked, 24 sheets, at most 202 rows and 15 columns, 7,442 cells
    rows: int = 20_000  # the highest row number a sheet may use
    columns: int = 200  # the highest column (200 = GR)
    cells: int = 500_000  # all sheets together, counting each row up to its last cell (what reading builds)
    cell_chars: int = 32_767  # Excel's own limit for the text of one cell


REPORT_WORKBOOK = WorkbookLimits()


def _refuse_sheet(title: str, message: str):
    raise UploadRefused(f"シート「{title[:40]}」の{message}")


def _column_number(ref: str) -> tuple[int, int]:
    """(column, row) of a cell reference such as "XFD12"; row 0 when the reference has no digits."""
    column = 0
    i = 0
    for i, ch in enumerate(ref):  # noqa: B007 - i is used after the loop
        if "A" <= ch <= "Z":
            column = column * 26 + ord(ch) - 64
        elif "a" <= ch <= "z":
            column = column * 26 + ord(ch) - 96
        else:
            break
    else:
        i = len(ref)
    digits = ref[i:]
    return column, int(digits) if digits.isascii() and digits.isdigit() and len(digits) < 10 else 0


class _Bounded(ContentHandler):
    """A streaming pass over one XML part (SAX: text arrives in pieces, so a long cell is refused at the
    first character past the bound, not after it was held in memory). Element names without prefix."""

    def __init__(self, title: str, limits: WorkbookLimits, kind: str, total: list[int]):
        super().__init__()
        self.title, self.limits, self.kind, self.total = title, limits, kind, total
        self.row = 0
        self.column = 0
        self.width = 0  # the current row's last column
        self.chars = 0  # characters of the current cell (or shared string)
        self.strings = 0

    def startElement(self, name, attrs):  # noqa: N802 - the SAX interface
        name = name.rpartition(":")[2]
        if self.kind == "sheet":
            if name == "row":
                given = attrs.get("r") or ""
                self.row = int(given) if given.isascii() and given.isdigit() and len(given) < 10 else self.row + 1
                self._check_row(self.row)
                self.column = self.width = 0
            elif name == "c":
                ref = attrs.get("r")
                column, row = _column_number(ref) if ref else (self.column + 1, 0)
                column = column or self.column + 1
                self._check_row(row)
                if column > self.limits.columns:
                    letter = get_column_letter(min(column, 18278))
                    _refuse_sheet(
                        self.title,
                        f"列が多すぎます（{letter} 列まで使われています。上限は {self.limits.columns} 列です）。",
                    )
                self.column = column
                self.width = max(self.width, column)
                self.chars = 0
        elif self.kind == "strings" and name == "si":
            self.chars = 0
            self.strings += 1
            if self.strings > self.limits.cells:
                raise UploadRefused(f"Excel ブックの文字列が多すぎます（上限は {self.limits.cells:,} 個です）。")

    def _check_row(self, row: int) -> None:
        if row > self.limits.rows:
            _refuse_sheet(self.title, f"行が多すぎます（{row:,} 行目。上限は {self.limits.rows:,} 行です）。")

    def endElement(self, name):  # noqa: N802 - the SAX interface
        if self.kind == "sheet" and name.rpartition(":")[2] == "row":
            self.total[0] += self.width
            if self.total[0] > self.limits.cells:
                raise UploadRefused(f"Excel ブックのセルが多すぎます（上限は {self.limits.cells:,} セルです）。")

    def characters(self, content):
        self.chars += len(content)
        if self.chars > self.limits.cell_chars:
            where = f"シート「{self.title[:40]}」の {self.row:,} 行目に" if self.kind == "sheet" else ""
            raise UploadRefused(
                f"{where}長すぎるセルがあります（上限は {self.limits.cell_chars:,} 文字です。Excel の上限と同じです）。"
            )


def _sheet_titles(archive: zipfile.ZipFile) -> dict[str, str]:
    """{part name: sheet title} from xl/workbook.xml and its relationships (small parts, size-checked before)."""
    parts = []
    for name in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
        try:
            info = archive.getinfo(name)
        except KeyError:
            return {}
        if info.file_size > 4 * 1024 * 1024:  # a few kilobytes in any real workbook
            raise UploadRefused(f"Excel ブックの {name} が大きすぎます。")
        parts.append(defusedxml.ElementTree.fromstring(archive.read(info)))
    book, rels = parts
    targets = {}
    for rel in rels:
        target = rel.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        targets[rel.get("Id")] = target
    titles = {}
    for element in book.iter():
        if element.tag.rpartition("}")[2] == "sheet":
            rid = next((v for k, v in element.attrib.items() if k.rpartition("}")[2] == "id"), None)
            if rid in targets:
                titles[targets[rid]] = element.get("name", "")
    return titles


def _check_directory(infos: list[zipfile.ZipInfo], limits: WorkbookLimits) -> None:
    if len(infos) > limits.members:
        raise UploadRefused(f"Excel ブックの中の部品が多すぎます（{len(infos)} 個。上限 {limits.members} 個）。")
    unpacked = sum(i.file_size for i in infos)  # zipfile never inflates a member past its recorded size
    if unpacked > limits.unpacked_bytes:
        raise UploadRefused(
            f"Excel ブックを展開すると大きすぎます（{unpacked / 1024 / 1024:,.0f}MB。"
            f"上限は {limits.unpacked_bytes // 1024 // 1024}MB です）。"
        )
    if any(i.flag_bits & 0x1 for i in infos):
        raise UploadRefused("パスワード付きの Excel ブックは読めません。パスワードを外して保存し直してください。")


def _scan_parts(archive: zipfile.ZipFile, limits: WorkbookLimits) -> None:
    titles = _sheet_titles(archive)
    if len(titles) > limits.sheets:
        raise UploadRefused(f"シートが多すぎます（{len(titles)} 枚。上限 {limits.sheets} 枚）。")
    total = [0]
    for info in archive.infolist():
        name = info.filename
        if info.is_dir():
            continue
        if not name.endswith((".xml", ".rels")):
            with archive.open(info) as member:  # not XML (an image …): inflated once, for its CRC
                while member.read(1024 * 1024):
                    pass
            continue
        if name in titles:
            handler = _Bounded(titles[name], limits, "sheet", total)
        elif name.rpartition("/")[2].lower() == "sharedstrings.xml":
            handler = _Bounded("", limits, "strings", total)
        else:
            handler = _Bounded("", limits, "other", total)
        with archive.open(info) as member:
            defusedxml.sax.parse(member, handler, forbid_dtd=True)


def check_workbook(data: bytes, limits: WorkbookLimits = REPORT_WORKBOOK) -> None:
    """Refuse (UploadRefused) a workbook beyond `limits`, damaged, or with XML entity definitions
    (billion laughs), before openpyxl builds anything from it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UploadRefused(f"Excel ブックとして読めません（{_reason(exc)}）。") from exc
    with archive:
        _check_directory(archive.infolist(), limits)
        try:
            _scan_parts(archive, limits)
        except UploadRefused:
            raise
        except defusedxml.DefusedXmlException as exc:
            raise UploadRefused(
                "Excel ブックに使えない XML の定義（DTD・実体参照）が含まれています。"
                "Excel で開いて「Excel ブック（*.xlsx）」として保存し直してください。"
            ) from exc
        except (SAXException, ParseError) as exc:
            raise UploadRefused(f"Excel ブックとして読めません（XML の誤り: {str(exc)[:80]}）。") from exc
        except DAMAGED as exc:
            raise UploadRefused(f"Excel ブックのファイルが壊れています（{_reason(exc)}）。") from exc


@dataclass
class Sheet:
    title: str
    rows: list[list] = field(default_factory=list)  # cell values; formulas replaced by their computed value
    formulas: list[str] = field(default_factory=list)  # "B7" of every formula cell
    formulas_without_value: list[str] = field(default_factory=list)  # never calculated: no value to take


def read_workbook_values(data: bytes, *, limits: WorkbookLimits = REPORT_WORKBOOK) -> dict[str, Sheet]:
    """Every sheet's cell values, in order. Formulas are never evaluated here: a formula cell gives the
    value Excel stored when it last calculated the workbook (listed in `formulas`); a formula that was
    never calculated (written by a program) has no value and is listed in `formulas_without_value`.
    The file is checked against `limits` first (check_workbook)."""
    check_workbook(data, limits)
    max_rows = limits.rows
    try:
        values_book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        formula_book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for damaged files
        raise UploadRefused(f"Excel ブックとして読めません（{type(exc).__name__}）。") from exc
    sheets: dict[str, Sheet] = {}
    try:
        for ws_values, ws_formulas in zip(values_book.worksheets, formula_book.worksheets, strict=True):
            for ws in (ws_values, ws_formulas):
                ws.reset_dimensions()  # a writer may understate <dimension>; read every row that is there
            sheet = Sheet(ws_values.title)
            for r, (vrow, frow) in enumerate(
                zip(ws_values.iter_rows(values_only=True), ws_formulas.iter_rows(), strict=False), start=1
            ):
                if r > max_rows:
                    raise UploadRefused(f"シート「{sheet.title}」の行が多すぎます（上限 {max_rows:,} 行）。")
                row = list(vrow)
                for c, cell in enumerate(frow):
                    if getattr(cell, "data_type", None) == "f":  # a formula; text that starts with "=" is "s"
                        ref = f"{get_column_letter(c + 1)}{r}"
                        sheet.formulas.append(ref)
                        if c >= len(row) or row[c] is None:
                            sheet.formulas_without_value.append(ref)
                sheet.rows.append(row)
            while sheet.rows and not any(v is not None and str(v).strip() for v in sheet.rows[-1]):
                sheet.rows.pop()
            sheets[sheet.title] = sheet
    except UploadRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - damaged sheet XML
        raise UploadRefused(f"Excel ブックの中身が読めません（{type(exc).__name__}）。") from exc
    finally:
        values_book.close()
        formula_book.close()
    return sheets
