"""Read a bundle directory into typed records, collecting every problem instead of stopping."""

import csv
import datetime
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from auditreg.wareki import EARLIEST, LATEST

from .schema import CSV_FILES, FILE_ORDER, MAX_FILE_BYTES, REQUIRED_FILES, YAML_FILES, Col


@dataclass(frozen=True)
class Problem:
    file: str
    record: str
    field: str
    message: str

    @property
    def location(self):
        return " / ".join(part for part in (self.file, self.record, self.field) if part)

    def __str__(self):
        return f"{self.location}: {self.message}"


class Record(dict):
    """A typed row; `where` names it in messages (行 12, or findings.yaml の 3 件目 (意見01))."""

    def __init__(self, *args, where: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.where = where


class Located(dict):
    """A raw item of a nested list that knows where it came from (an Excel row of a child sheet):
    its problems are reported there instead of under the parent's position."""

    def __init__(self, *args, where: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.where = where


@dataclass
class Bundle:
    root: Path | str  # the folder, or a label of where the files came from (an upload's name)
    files: dict[str, list[Record]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def rows(self, name: str) -> list[Record]:
        return self.files.get(name, [])


TRUE_WORDS = {"true", "yes", "1"}
NON_NEGATIVE = {
    "order",
    "number",
    "page",
    "source_line",
    "stated_count",
    "major_no",
    "minor_no",
    "bidders",
    "fiscal_year",
    "target_fiscal_year",
    "introduced_fiscal_year",
}
MAX_ROWS = 20_000  # rows of one table (the real report's largest has a few hundred)
MAX_CELL_CHARS = 32_767  # one value, as in an Excel cell
FALSE_WORDS = {"", "false", "no", "0"}


def _convert(value, col: Col, where: str, add_problem):
    """Convert one raw value (str from CSV, any from YAML) to the column's type (one converter per type)."""
    kind = col.type
    if isinstance(value, str):
        value = value.strip() if kind not in ("text", "str") else value
    converter = _CONVERTERS.get(kind)
    if converter is None:
        raise AssertionError(f"unknown column type {kind}")
    return converter(value, col, add_problem)


def _to_text(value, col: Col, add_problem):
    if value is None:
        value = ""
    if not isinstance(value, str):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        else:
            add_problem(col.name, f"文字列が必要です（{type(value).__name__} が書かれています）")
            return None
    if col.type == "str" and not value.strip():
        add_problem(col.name, "必須項目が空です")
    return value


def _to_int(value, col: Col, add_problem):
    if value is None or value == "":
        if col.type == "int":
            add_problem(col.name, "必須項目が空です")
        return None
    if isinstance(value, bool):
        add_problem(col.name, f"整数が必要です（{value!r}）")
        return None
    if not isinstance(value, int):
        text = str(value).replace(",", "").strip()
        if not (text.isascii() and text.lstrip("-").isdigit() and len(text) <= 19):
            add_problem(col.name, f"整数が必要です（{str(value)[:40]!r}）")
            return None
        value = int(text)
    if not -(2**63) <= value < 2**63:
        add_problem(col.name, "整数が大きすぎます")
        return None
    if value < 0 and col.name in NON_NEGATIVE:
        add_problem(col.name, f"0 以上の整数が必要です（{value}）")
        return None
    return value


def _to_date(value, col: Col, add_problem):
    if value is None or value == "":
        return None
    if not (isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)):
        try:
            value = datetime.date.fromisoformat(str(value))
        except ValueError:
            add_problem(col.name, f"日付は YYYY-MM-DD で書いてください（{str(value)[:40]!r}）")
            return None
    if not EARLIEST <= value <= LATEST:
        add_problem(col.name, f"日付が範囲外です（{EARLIEST}〜{LATEST}）: {value}")
        return None
    return value


def _to_bool(value, col: Col, add_problem):
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    add_problem(col.name, f"true か空欄で書いてください（{value!r}）")
    return None


def _to_dict(value, col: Col, add_problem):
    if value is None:
        return {}
    if not isinstance(value, dict):
        add_problem(col.name, "対応表（キー: 値）が必要です")
        return {}
    if any(not isinstance(v, (str, int, float, bool, type(None))) for v in value.values()):
        add_problem(col.name, '値は文字列か数値で書いてください（日付は "2024-04-01" のように引用符で囲む）')
        return {}
    return value


_CONVERTERS = {
    "str": _to_text,
    "text": _to_text,
    "int": _to_int,
    "optint": _to_int,
    "date": _to_date,
    "bool": _to_bool,
    "dict": _to_dict,
}


def _read_raw(bundle: Bundle, files: Mapping[str, bytes] | None, name: str) -> bytes | None:
    if files is not None:
        raw = files.get(name)
        if raw is None:
            if name in REQUIRED_FILES:
                bundle.problems.append(Problem(name, "", "", "ファイルがありません"))
            return None
        size = len(raw)
    else:
        path = Path(bundle.root) / name
        if not path.exists():
            if name in REQUIRED_FILES:
                bundle.problems.append(Problem(name, "", "", "ファイルがありません"))
            return None
        if not path.is_file():
            bundle.problems.append(Problem(name, "", "", "通常のファイルではありません"))
            return None
        size = path.stat().st_size
        raw = None
    if size > MAX_FILE_BYTES:
        bundle.problems.append(Problem(name, "", "", f"{MAX_FILE_BYTES // 1024 // 1024}MB を超えています"))
        return None
    return raw if raw is not None else path.read_bytes()


def _read_text(bundle: Bundle, name: str, files: Mapping[str, bytes] | None = None) -> str | None:
    raw = _read_raw(bundle, files, name)
    if raw is None:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        hint = ""
        try:
            raw.decode("cp932")  # Shift_JIS as Windows writes it: what Excel saves as "CSV" in Japanese offices
            hint = "（Shift_JIS のようです。Excel なら「CSV UTF-8」形式で保存し直してください）"
        except UnicodeDecodeError:
            pass
        bundle.problems.append(Problem(name, "", "", f"UTF-8 として読めません: {exc.start} バイト目{hint}"))
        return None
    return text.removeprefix("\ufeff")


def _read_csv(bundle: Bundle, name: str, columns: tuple[Col, ...], files=None) -> None:
    text = _read_text(bundle, name, files)
    if text is None:
        return
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        bundle.problems.append(Problem(name, "", "", "空のファイルです（見出し行がありません）"))
        return
    except csv.Error as exc:
        bundle.problems.append(Problem(name, "行 1", "", f"CSV として読めません: {exc}"))
        return

    def rows():
        try:
            for raw in reader:
                yield f"行 {reader.line_num}", raw
        except csv.Error as exc:
            bundle.problems.append(Problem(name, f"行 {reader.line_num}", "", f"CSV として読めません: {exc}"))

    read_table(bundle, name, columns, header, rows())


def read_table(
    bundle: Bundle, name: str, columns: tuple[Col, ...], header: list[str], rows: Iterable[tuple[str, list]]
) -> None:
    """Type the rows of one table (a CSV file or an Excel sheet): `rows` yields (where, cells)."""
    header = _table_header(bundle, name, columns, header)
    if header is None:
        return
    index = {h: i for i, h in enumerate(header)}
    records = []
    for n, (where, raw) in enumerate(rows, start=1):
        if n > MAX_ROWS:
            bundle.problems.append(Problem(name, where, "", f"行が多すぎます（上限は {MAX_ROWS:,} 行です）"))
            return
        if not any(cell is not None and str(cell).strip() for cell in raw):
            continue
        if not _row_fits(bundle, name, where, raw, header):
            continue
        record = Record(where=where)
        for col in columns:

            def add(field_name, message, where=where):
                bundle.problems.append(Problem(name, where, field_name, message))

            record[col.name] = _convert(raw[index[col.name]] if col.name in index else None, col, where, add)
        records.append(record)
    bundle.files[name] = records


def _table_header(bundle: Bundle, name: str, columns: tuple[Col, ...], header: list) -> list[str] | None:
    """The header row as column names, or None (a problem recorded) when the table cannot be read."""
    header = ["" if h is None else str(h).strip() for h in header]
    while header and not header[-1]:
        header.pop()
    expected = [c.name for c in columns]
    missing = [c.name for c in columns if c.name not in header and not c.optional]
    if missing:
        bundle.problems.append(Problem(name, "行 1", ", ".join(missing), "必要な列がありません"))
        return None
    extra = [h for h in header if h not in expected]
    if extra:
        bundle.warnings.append(Problem(name, "行 1", ", ".join(extra), "知らない列は読み飛ばします"))
    if len(set(header)) != len(header):
        bundle.problems.append(Problem(name, "行 1", "", "同じ名前の列が複数あります"))
        return None
    return header


def _row_fits(bundle: Bundle, name: str, where: str, raw: list, header: list[str]) -> bool:
    """A row's cells against the limits and the header (a problem recorded when not)."""
    long = next((c for c in raw if isinstance(c, str) and len(c) > MAX_CELL_CHARS), None)
    if long is not None:
        message = f"長すぎる値があります（{len(long):,} 文字。上限は {MAX_CELL_CHARS:,} 文字です）"
        bundle.problems.append(Problem(name, where, "", message))
        return False
    if len(raw) != len(header) and any(c is not None and str(c).strip() for c in raw[len(header) :]):
        bundle.problems.append(Problem(name, where, "", f"列の数が {len(raw)} です（見出しは {len(header)}）"))
        return False
    if len(raw) < len(header):
        bundle.problems.append(Problem(name, where, "", f"列の数が {len(raw)} です（見出しは {len(header)}）"))
        return False
    return True


def _typed_mapping(bundle, name, where, raw, columns: tuple[Col, ...]) -> Record:
    record = Record(where=where)
    if not isinstance(raw, dict):
        bundle.problems.append(Problem(name, where, "", "キー: 値 の形で書いてください"))
        return record
    known = {c.name for c in columns}
    unknown = [k for k in raw if k not in known]
    if unknown:
        bundle.warnings.append(Problem(name, where, ", ".join(map(str, unknown)), "知らないキーは読み飛ばします"))
    for col in columns:

        def add(field_name, message):
            bundle.problems.append(Problem(name, where, field_name, message))

        value = raw.get(col.name)
        if col.type == "list":
            if value is None:
                value = []
            if not isinstance(value, list):
                add(col.name, "一覧（- で始まる行）が必要です")
                record[col.name] = []
                continue
            record[col.name] = [
                _typed_mapping(
                    bundle,
                    name,
                    item.where if isinstance(item, Located) else f"{where} の {col.name}[{i + 1}]",
                    item,
                    col.children,
                )
                for i, item in enumerate(value)
            ]
        else:
            record[col.name] = _convert(value, col, where, add)
    return record


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser: the same documents, ten times faster


class AliasFound(Exception):
    def __init__(self, node):
        self.line = node.start_mark.line + 1


def _safe_load(text: str):
    """yaml.safe_load, refusing anchors and aliases (& and *): a bundle never needs them, and nested
    aliases make a small file stand for a huge one (YAML's billion laughs)."""
    loader = _LOADER(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        seen, stack = set(), [root]
        while stack:  # the composer hands back the same node object for each alias of an anchor
            node = stack.pop()
            if id(node) in seen:
                raise AliasFound(node)
            seen.add(id(node))
            if isinstance(node, yaml.MappingNode):
                stack.extend(part for pair in node.value for part in pair)
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)
        return loader.construct_document(root)
    finally:
        loader.dispose()


def _read_yaml(bundle: Bundle, name: str, columns: tuple[Col, ...], files=None) -> None:
    text = _read_text(bundle, name, files)
    if text is None:
        return
    try:
        data = _safe_load(text)
    except AliasFound as exc:
        message = "YAML の別名（& と *）は使えません。同じ内容もそれぞれの場所に書いてください"
        bundle.problems.append(Problem(name, f"行 {exc.line}", "", message))
        return
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"行 {mark.line + 1}" if mark else ""
        bundle.problems.append(Problem(name, where, "", f"YAML として読めません: {getattr(exc, 'problem', exc)}"))
        return
    except Exception as exc:  # noqa: BLE001 - untrusted input: PyYAML's constructors raise plain errors
        # (ValueError, KeyError, AttributeError …) for scalars they cannot build (2025-02-30, !!int x, …)
        bundle.problems.append(Problem(name, "", "", f"YAML の値が読めません: {exc}"))
        return
    if data is None:
        data = []
    if not isinstance(data, list):
        bundle.problems.append(Problem(name, "", "", "最上位は一覧（- で始まる項目）にしてください"))
        return
    items = []
    for i, raw in enumerate(data):
        label = f"{i + 1} 件目"
        if isinstance(raw, dict):
            key = raw.get("code") or raw.get("name") or raw.get("number")
            if key is not None:
                label += f" ({key})"
        items.append((label, raw))
    read_items(bundle, name, columns, items)


def read_items(bundle: Bundle, name: str, columns: tuple[Col, ...], items: Iterable[tuple[str, object]]) -> None:
    """Type the items of one nested file (a YAML list, or an Excel sheet with its child sheets):
    `items` yields (where, raw mapping); nested list entries may be `Located` to carry their own place."""
    bundle.files[name] = [_typed_mapping(bundle, name, where, raw, columns) for where, raw in items]


def read_bundle(root: Path | str | Mapping[str, bytes], *, label: str = "") -> Bundle:
    """Read a bundle folder, or the same files held in memory ({"findings.yaml": b"...", ...}: an unpacked zip)."""
    if isinstance(root, Mapping):
        bundle = Bundle(root=label or "（アップロード）")
        files = root
    else:
        root = Path(root)
        bundle = Bundle(root=root)
        files = None
        if not root.is_dir():
            bundle.problems.append(Problem(str(root), "", "", "フォルダがありません"))
            return bundle
    for name in FILE_ORDER:
        if name in CSV_FILES:
            _read_csv(bundle, name, CSV_FILES[name], files)
        else:
            _read_yaml(bundle, name, YAML_FILES[name], files)
    return bundle
