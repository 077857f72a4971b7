"""Applying the mutations of tests/findings/fuzz_bundle_values.py to the bundle's bytes (CSV rows and
cells, YAML keys and items, truncation, encodings, deleted and empty files), writing each example to
its own folder, and checking an import's outcome (Japanese problems naming a file, the pages still
render, a refused import changes no table)."""

import csv
import io
import itertools
import re
from pathlib import Path

from django.db import transaction
from django.urls import reverse

from findings.bundle.importer import BundleInvalid, import_report_bundle
from findings.bundle.schema import FILE_ORDER

from .fuzz_bundle_values import DB_FALLBACK, JAPANESE, ORIGINAL, snapshot

# -- applying mutations --------------------------------------------------------------------


def _csv_rows(data: bytes):
    """Rows of a CSV file that still decodes and parses; None when it no longer does."""
    try:
        return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    except (UnicodeDecodeError, csv.Error):
        return None


def _csv_bytes(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def _lines(data: bytes):
    return data.decode("utf-8", errors="surrogateescape").splitlines(keepends=True)


def _join(lines) -> bytes:
    return "".join(lines).encode("utf-8", errors="surrogateescape")


KEY_LINE = re.compile(r"^(?P<indent> *(?:- )*)(?P<key>[A-Za-z_][A-Za-z0-9_]*):(?P<rest>.*?)(?P<eol>\r?\n?)$")


def _key_lines(lines, key=None):
    found = []
    for i, line in enumerate(lines):
        m = KEY_LINE.match(line)
        if m and (key is None or m["key"] == key):
            found.append((i, m))
    return found


def _block_end(lines, i, column):
    """Index after the value block of the key at line i whose key starts at `column`."""
    j = i + 1
    while j < len(lines):
        text = lines[j]
        stripped = text.lstrip(" ")
        indent = len(text) - len(stripped)
        if stripped.strip() == "":
            j += 1
            continue
        if indent > column or (indent == column and stripped.startswith("- ")):
            j += 1
            continue
        break
    return j


def _set_yaml_value(lines, i, m, value):
    end = _block_end(lines, i, len(m["indent"]))
    lines[i:end] = [f"{m['indent']}{m['key']}: {value}\n"]


def _delete_yaml_key(lines, i, m):
    column = len(m["indent"])
    end = _block_end(lines, i, column)
    if not m["indent"].rstrip().endswith("-"):
        del lines[i:end]
        return
    # the first key of a list item carries the item's dash: hand it to the next sibling key
    nxt = lines[end] if end < len(lines) else ""
    if nxt.startswith(" " * column) and KEY_LINE.match(nxt) and not nxt[column:].startswith(" "):
        lines[i : end + 1] = [m["indent"] + nxt[column:]]
    else:
        lines[i:end] = [m["indent"] + "{}\n"]


def _top_items(lines):
    """Start indices of the top-level list items of a YAML file (`- ` at column 0)."""
    return [i for i, line in enumerate(lines) if line.startswith("- ")]


def _delete_line(rows, i):
    del rows[i % len(rows)]


def _duplicate_line(rows, i):
    i = i % len(rows)
    rows.insert(i, rows[i])


def _swap_lines(rows, i, j):
    i, j = i % len(rows), j % len(rows)
    rows[i], rows[j] = rows[j], rows[i]


def _replace_cell(rows, i, j, value):
    if len(rows) < 2:
        return False
    row = rows[1 + i % (len(rows) - 1)]
    if row:
        row[j % len(row)] = value


def _rename_header(rows, j, value):
    if rows[0]:
        rows[0][j % len(rows[0])] = value


def _drop_column(rows, j, everywhere):
    if not rows[0]:
        return False
    j = j % len(rows[0])
    for row in rows if everywhere else rows[:1]:
        if j < len(row):
            del row[j]


# one edit of a CSV file's rows per kind; an edit that returns False leaves the file as it was
_ROW_EDITS = {
    "delete_line": _delete_line,
    "duplicate_line": _duplicate_line,
    "swap_lines": _swap_lines,
    "replace_cell": _replace_cell,
    "rename_header": _rename_header,
    "drop_column": _drop_column,
}


def _edit_rows(files, kind, name, *args):
    if files.get(name) is None:
        return
    rows = _csv_rows(files[name])
    if not rows:
        return
    if _ROW_EDITS[kind](rows, *args) is False:
        return
    files[name] = _csv_bytes(rows)


def _set_cell(files, kind, name, column, index, value):
    rows = _csv_rows(files[name]) if files.get(name) is not None else None
    if not rows or column not in rows[0] or len(rows) < 2:
        return
    j = rows[0].index(column)
    row = rows[1 + index % (len(rows) - 1)]
    if j < len(row):
        row[j] = value
    files[name] = _csv_bytes(rows)


def _edit_yaml_key(files, kind, *args):
    name = args[0]
    if files.get(name) is None:
        return
    lines = _lines(files[name])
    found = _key_lines(lines, args[1] if kind == "set_key" else None)
    if kind == "replace_scalar":  # only keys written on one line
        found = [(i, m) for i, m in found if m["rest"].strip() not in ("", "|", ">")]
    if not found:
        return
    i, m = found[args[2 if kind == "set_key" else 1] % len(found)]
    if kind == "delete_key":
        _delete_yaml_key(lines, i, m)
    else:
        _set_yaml_value(lines, i, m, args[-1])
    files[name] = _join(lines)


def _duplicate_finding(files, kind, *args):
    # give finding j the code (and optionally also kind and number) of finding i
    name = "findings.yaml"
    if files.get(name) is None:
        return
    lines = _lines(files[name])
    items = _top_items(lines)
    if len(items) < 2:
        return
    bounds = list(itertools.pairwise([*items, len(lines)]))
    (a0, a1), (b0, b1) = bounds[args[0] % len(bounds)], bounds[args[1] % len(bounds)]
    keys = ("code", "kind", "number") if args[2] else ("code",)
    for key in keys:
        src = [(i, m) for i, m in _key_lines(lines[a0:a1], key) if len(m["indent"]) == 2]
        dst = [(i, m) for i, m in _key_lines(lines[b0:b1], key) if len(m["indent"]) == 2]
        if src and dst:
            lines[b0 + dst[0][0]] = lines[a0 + src[0][0]]
    files[name] = _join(lines)


def _duplicate_yaml_item(files, kind, name, index):
    if files.get(name) is None:
        return
    lines = _lines(files[name])
    items = _top_items(lines)
    if not items:
        return
    bounds = list(itertools.pairwise([*items, len(lines)]))
    a, b = bounds[index % len(bounds)]
    lines[b:b] = lines[a:b]
    files[name] = _join(lines)


def _truncate(files, kind, name, pos):
    if files.get(name) is not None:
        files[name] = files[name][: pos % (len(files[name]) + 1)]


def _insert_bytes(files, kind, name, pos, data):
    if files.get(name) is not None:
        p = pos % (len(files[name]) + 1)
        files[name] = files[name][:p] + data + files[name][p:]


def _to_shift_jis(files, kind, name):
    if files.get(name) is not None:
        try:
            files[name] = files[name].decode("utf-8").encode("shift_jis", errors="replace")
        except UnicodeDecodeError:
            pass


def _delete_file(files, kind, name):
    files[name] = None


def _empty_file(files, kind, name):
    files[name] = b""


def _add_bom(files, kind, name):
    if files.get(name) is not None:
        files[name] = b"\xef\xbb\xbf" + files[name]


def _crlf(files, kind, name):
    if files.get(name) is not None:
        files[name] = files[name].replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


# one function per mutation kind: (files, kind, *the mutation's arguments)
MUTATORS = dict.fromkeys(_ROW_EDITS, _edit_rows) | {
    "set_cell": _set_cell,
    "set_key": _edit_yaml_key,
    "replace_scalar": _edit_yaml_key,
    "delete_key": _edit_yaml_key,
    "duplicate_finding": _duplicate_finding,
    "duplicate_yaml_item": _duplicate_yaml_item,
    "truncate": _truncate,
    "insert_bytes": _insert_bytes,
    "to_shift_jis": _to_shift_jis,
    "delete_file": _delete_file,
    "empty_file": _empty_file,
    "add_bom": _add_bom,
    "crlf": _crlf,
}


def apply(files: dict, mutation) -> None:
    kind, *args = mutation
    if kind not in MUTATORS:  # pragma: no cover - a strategy without an implementation
        raise AssertionError(kind)
    MUTATORS[kind](files, kind, *args)


def mutated(mutation_list) -> dict:
    files = dict(ORIGINAL)
    for mutation in mutation_list:
        apply(files, mutation)
    return files


_counter = itertools.count()


def write_bundle(base: Path, files: dict) -> Path:
    folder = base / f"ex{next(_counter)}"
    for name, data in files.items():
        if data is None:
            continue
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# -- checking an outcome -------------------------------------------------------------------


def check_problems(problems):
    assert problems, "BundleInvalid without problems"
    for p in problems:
        text = str(p)
        assert p.message.strip(), f"empty message: {text!r}"
        assert JAPANESE.search(p.message), f"message is not Japanese: {text!r}"
    names = set(FILE_ORDER)
    named = [p for p in problems if p.file in names or p.file.endswith(tuple(names))]
    if not named:
        # a rule only the database knows (e.g. a text longer than its column on PostgreSQL) is reported
        # as one problem without a file; the reader checks types, ranges and references before that
        assert all(p.message.startswith(DB_FALLBACK) for p in problems), [str(p) for p in problems]


def check_pages(client):
    """The pages that show what an import wrote still render: the report list (the home page),
    the main report, and an audited system with its budget years."""
    from findings.models import AuditReport
    from systems.models import InformationSystem

    urls = [reverse("findings:report_list")]
    urls += [
        reverse("findings:report_detail", args=[code]) for code in AuditReport.objects.values_list("code", flat=True)
    ]
    system = InformationSystem.objects.filter(audited=True).order_by("report_id", "number").first()
    if system is not None:
        urls.append(reverse("systems:system_detail", args=[system.pk]))
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)


def import_and_check(folder: Path, client=None):
    """Run the import in a rolled-back transaction and check the property; returns the outcome kind.
    With a (logged-in) client, the pages showing the imported data are fetched after a success."""
    with transaction.atomic():
        try:
            before = snapshot()
            try:
                outcome = import_report_bundle(folder)
            except BundleInvalid as exc:
                check_problems(exc.problems)
                assert snapshot() == before, "a refused import changed the database"
                return "refused"
            again = import_report_bundle(folder)
            assert not again.load.changed, {label: s.changes[:5] for label, s in again.load.stats.items() if s.touched}
            if client is not None:
                check_pages(client)
            return "imported" if outcome.load.changed else "imported, no change"
        finally:
            transaction.set_rollback(True)
