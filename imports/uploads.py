"""Untrusted files in: size limits, type sniffing, safe unpacking of zip archives and reading Excel
workbooks as plain values. Everything here refuses with a Japanese message (UploadRefused) and never
touches the database or the local disk."""

import io
import posixpath
import stat
import zipfile
from dataclasses import dataclass, field

from django.conf import settings

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
            with archive.open(info) as member:
                content = member.read(min(info.file_size, remaining) + 1)  # never trust the header's size
            if len(content) > info.file_size:
                raise UploadRefused(f"zip の中のファイルの大きさが記録と違います: {name[:100]}")
            files[name] = content
        return files


@dataclass
class Sheet:
    title: str
    rows: list[list] = field(default_factory=list)  # cell values; formulas replaced by their computed value
    formulas: list[str] = field(default_factory=list)  # "B7" of every formula cell
    formulas_without_value: list[str] = field(default_factory=list)  # never calculated: no value to take


def read_workbook_values(data: bytes, *, max_rows: int = 100_000) -> dict[str, Sheet]:
    """Every sheet's cell values, in order. Formulas are never evaluated here: a formula cell gives the
    value Excel stored when it last calculated the workbook (listed in `formulas`); a formula that was
    never calculated (written by a program) has no value and is listed in `formulas_without_value`."""
    import openpyxl
    from openpyxl.utils import get_column_letter

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
