"""Property-based tests of the bundle import: hundreds of generated broken bundles.

Each example starts from the real bundle (copied once per module), applies one to three
generated mutations to the files' bytes in memory and writes the result to its own folder.
The properties:

- `import_report_bundle` either succeeds, and then importing the same folder again changes
  nothing, or raises `BundleInvalid` whose problems are non-empty Japanese messages, at least
  one of them naming a bundle file; it raises nothing else, and a refused import leaves every
  table (users and many-to-many tables included) exactly as it was;
- after a successful import the pages showing the data still render (report list, report,
  an audited system), so an import cannot store what the site then fails to show;
- `import_report` (the command) either succeeds or raises `CommandError`.

Every example runs in a transaction that is rolled back, so a harmless mutation that did
import leaves nothing behind for the next example. Every bug these properties found is fixed;
its minimal example stays at the end of the file as a regression test. A bug found later fails
the property with its example; pin that example as a strict xfail regression test and fix it.

Examples are derandomised (the same ones on every run); FUZZ_SCALE=20 runs 20 times as many
with a random seed.
"""

import copy
import csv
import datetime
import hashlib
import io
import itertools
import json
import os
import re
import shutil
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from findings.bundle import reader
from findings.bundle.schema import CSV_FILES, FILE_ORDER, YAML_FILES
from findings.bundle.service import BundleInvalid, import_report_bundle

pytestmark = pytest.mark.django_db

FIXTURES = Path(django_settings.REPORT_FIXTURE_DIR)
APPS = ("auditreg", "findings", "systems", "budgets")
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")
DB_FALLBACK = "データベースの制約に反するため"

SCALE = float(os.environ.get("FUZZ_SCALE", "1"))  # e.g. FUZZ_SCALE=20 for a long run with a random seed


def fuzz(max_examples):
    return settings(
        max_examples=max(1, int(max_examples * SCALE)),
        deadline=None,
        derandomize=SCALE == 1,  # repeatable in CI
        database=None,
        print_blob=False,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# -- the table snapshot ---------------------------------------------------------------------


def snapshot():
    """Row count and content digest of every table of our apps, users and m2m tables included.
    Raw SQL: four times faster than the ORM, and the snapshot is taken twice per example."""
    digest = {}
    with connection.cursor() as cursor:
        for app in APPS:
            for model in apps.get_app_config(app).get_models(include_auto_created=True):
                table, pk = model._meta.db_table, model._meta.pk.column
                cursor.execute(f'SELECT * FROM "{table}" ORDER BY "{pk}"')
                rows = cursor.fetchall()
                digest[table] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return digest


# -- the original bundle, in memory -------------------------------------------------------


def _read_originals(root: Path) -> dict[str, bytes]:
    return {name: (root / name).read_bytes() for name in FILE_ORDER if (root / name).exists()}


ORIGINAL = _read_originals(FIXTURES)
CSV_NAMES = sorted(n for n in CSV_FILES if n in ORIGINAL)
YAML_NAMES = sorted(n for n in YAML_FILES if n in ORIGINAL)


def _csv_column(name, column):
    rows = list(csv.DictReader(io.StringIO(ORIGINAL[name].decode("utf-8"))))
    return sorted({r[column] for r in rows if r[column]})


def _yaml_values(name, key):
    pattern = re.compile(rf"^\s*(?:- )?{key}: (.+)$", re.M)
    return sorted(set(pattern.findall(ORIGINAL[name].decode("utf-8"))))


# Names that exist somewhere in the bundle: a reference moved to another domain's name is the
# most plausible hand-editing mistake (a section name in a bureau column, a column name as a value).
DOMAIN_NAMES = sorted(
    set(_csv_column("organisation/bureaus.csv", "name"))
    | set(_csv_column("organisation/sections.csv", "name")[:20])
    | set(_csv_column("budgets/fields.csv", "name"))
    | set(_yaml_values("budgets/projects.yaml", "name")[:10])
    | set(_yaml_values("findings.yaml", "code")[:6])
    | {col.name for cols in CSV_FILES.values() for col in cols}
    | {"budget", "actual", "project", "system", "general", "指摘", "意見", "DX", "情報システム"}
    | {"dx_fields", "dx_funding_budget", "dx_lines_産業", "it_by_bureau", "it_by_system_総務局"}
    | {"2023_budget_million_yen", "2023_actual_million_yen", "kanazawa-2021-citizen", "kanazawa-2024-dx"}
    | {"存在しない課", "存在しない局", "存在しない事業"}
)

SPECIAL_TEXT = [
    "",
    " ",
    "-",
    "－",
    "—",
    "0",
    "-0",
    "-1",
    "+1",
    "-2147483649",
    "2147483648",
    "32768",
    "65536",
    "9223372036854775808",
    "9" * 30,
    "9" * 5000,
    "1.5",
    "1e3",
    "1_000",
    "2, 269",
    "１２３",
    "０",
    "١٢",
    "²",
    "令和7年4月11日",
    "平成31年4月30日",
    "令和元年度",
    "R7.4.11",
    "2025/04/11",
    "2025-02-30",
    "20250411",
    "2025-W15-5",
    "0001-01-01",
    "1900-01-01",
    "9999-12-31",
    "2025-04-11T10:00:00",
    "true",
    "false",
    "yes",
    "no",
    "null",
    "~",
    "None",
    "nan",
    "inf",
    "\x00",
    "a\x00b",
    "\x1f",
    "\x7f",
    "\x85",
    "\u2028",
    "\ufeff",
    "\ud7ff",
    '"',
    "'",
    '""',
    ",",
    ",,",
    "\n",
    "\r\n",
    "\r",
    "a\nb",
    "  前後に空白  ",
    "あ" * 301,
    "x" * 5000,
    "x" * 70000,
]

texts = st.one_of(
    st.sampled_from(SPECIAL_TEXT),
    st.sampled_from(DOMAIN_NAMES),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.dates().map(datetime.date.isoformat),
    st.text(max_size=40),
)


def _yaml_scalar(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


SPECIAL_YAML = [
    "null",
    "~",
    "",
    "''",
    "[]",
    "{}",
    "[1, 2]",
    "[null]",
    "[{}]",
    "[{bureau: 総務局}]",
    "[[1]]",
    "{a: 1}",
    "{1: 2}",
    "{null: 1}",
    "{2024-01-01: 1}",
    "{a: 2024-01-01}",
    "{a: [1, {b: 2}]}",
    "{a: .nan}",
    "{systems: x}",
    "{指摘: -1}",
    "{意見_DX: null}",
    "true",
    "false",
    "yes",
    "0",
    "-1",
    "1.0",
    "1.5",
    "1e400",
    ".nan",
    ".inf",
    "-.inf",
    "0x1F",
    "0o17",
    "1_000",
    "+1",
    "9" * 30,
    "9" * 5000,
    "2024-01-01",
    "2024-13-01",
    "1900-01-01",
    "0001-01-01",
    "2024-01-01 10:00:00",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!!timestamp 2024-01-01",
    "!!python/object/apply:os.system [echo]",
    "!!str 1",
    "!!int x",
    "!!bool x",
    "!!float ''",
    "!!timestamp x",
    "2025-02-30",
    "&a 1",
    "*undefined",
    "[unclosed",
    "{unclosed",
    "'unclosed",
    '"unclosed',
    "a: b",
    "- x",
    "|",
    ">",
    "? x",
    "%YAML 1.1",
    "\t1",
    "令和7年4月11日",
    "１２３",
]

# free-form mappings (stated_counts, extra): keys and values of any YAML type
DICT_KEYS = {col.name for cols in YAML_FILES.values() for c in cols for col in (c, *c.children) if col.type == "dict"}
MAPPINGS = [v for v in SPECIAL_YAML if v.startswith("{")] + [
    "{a: !!binary aGVsbG8=}",
    "{a: !!set {x}}",
    "{a: 2024-01-01 10:00:00}",
    "{true: 1}",
    "{1.5: 1}",
    "{a: {b: {c: [1]}}}",
    "{契約日: 2024-04-01}",
]

yaml_values = st.one_of(
    st.sampled_from(SPECIAL_YAML),
    st.sampled_from(DOMAIN_NAMES).map(_yaml_scalar),
    st.sampled_from(SPECIAL_TEXT).map(_yaml_scalar),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.dates().map(datetime.date.isoformat),
    st.text(max_size=30).map(_yaml_scalar),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=12),  # raw, possibly breaking the syntax
)

BAD_BYTES = [
    b"\xff",
    b"\xfe\xff",
    b"\xc3",
    b"\x80",
    b"\xed\xa0\x80",  # an encoded surrogate
    b"\xf4\x90\x80\x80",  # beyond U+10FFFF
    "監査".encode("shift_jis"),
    "ｶﾅ".encode("shift_jis"),
    b"\x00",
    b'"',
    b",",
    b"\n",
    b"\r",
    b"\t",
    b"\xef\xbb\xbf",
    b"- ",
    b": ",
]

indices = st.integers(min_value=0, max_value=10_000)
csv_names = st.sampled_from(CSV_NAMES)
yaml_names = st.sampled_from(YAML_NAMES)
all_names = st.sampled_from(sorted(ORIGINAL))


def _columns(name):
    return [c.name for c in CSV_FILES[name]]


def _keys(name):
    keys = []
    for col in YAML_FILES[name]:
        keys.append(col.name)
        keys.extend(child.name for child in col.children)
    return sorted(set(keys))


@st.composite
def set_field(draw):
    """Set a named column / key of one record to a generated value (a reference, a type...)."""
    if draw(st.booleans()):
        name = draw(csv_names)
        # now and then another column's name as the value (stated_totals.csv names columns)
        values = st.one_of(texts, st.sampled_from(_columns(name))) if draw(st.booleans()) else texts
        return ("set_cell", name, draw(st.sampled_from(_columns(name))), draw(indices), draw(values))
    name = draw(yaml_names)
    key = draw(st.sampled_from(_keys(name)))
    values = st.sampled_from(MAPPINGS) if key in DICT_KEYS and draw(st.booleans()) else yaml_values
    return ("set_key", name, key, draw(indices), draw(values))


mutations = st.one_of(
    # references, types and values of named fields are where the checks have to be complete: weighted
    set_field(),
    set_field(),
    set_field(),
    set_field(),
    st.tuples(st.just("delete_line"), csv_names, indices),
    st.tuples(st.just("duplicate_line"), csv_names, indices),
    st.tuples(st.just("swap_lines"), csv_names, indices, indices),
    st.tuples(st.just("replace_cell"), csv_names, indices, indices, texts),
    st.tuples(st.just("rename_header"), csv_names, indices, texts),
    st.tuples(st.just("drop_column"), csv_names, indices, st.booleans()),
    st.tuples(st.just("replace_scalar"), yaml_names, indices, yaml_values),
    st.tuples(st.just("delete_key"), yaml_names, indices),
    st.tuples(st.just("duplicate_finding"), indices, indices, st.booleans()),
    st.tuples(st.just("duplicate_yaml_item"), yaml_names, indices),
    st.tuples(st.just("truncate"), all_names, indices),
    st.tuples(st.just("insert_bytes"), all_names, indices, st.sampled_from(BAD_BYTES)),
    st.tuples(st.just("to_shift_jis"), all_names),
    st.tuples(st.just("delete_file"), all_names),
    st.tuples(st.just("empty_file"), all_names),
    st.tuples(st.just("add_bom"), all_names),
    st.tuples(st.just("crlf"), all_names),
)


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


@pytest.fixture(scope="module", autouse=True)
def memoised_yaml():
    """Parse each distinct YAML text once. Most examples change one file, and PyYAML's pure-Python
    parser is most of an import's time; `safe_load` is deterministic, so a (deep-copied) earlier
    result is what it would return again, and texts it refuses are not cached (the error recurs)."""
    parsed = {}
    original = reader._safe_load  # the reader's safe_load (libyaml, refusing aliases)

    def safe_load(text):
        if text not in parsed:
            parsed[text] = original(text)
        return copy.deepcopy(parsed[text])

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(reader, "_safe_load", safe_load)
        yield
    parsed.clear()


@pytest.fixture(scope="module")
def fuzz_base(tmp_path_factory):
    """The real bundle copied once (the originals are read from here) and room for the examples."""
    base = tmp_path_factory.mktemp("fuzz_import")
    shutil.copytree(FIXTURES, base / "original")
    assert _read_originals(base / "original") == ORIGINAL
    return base


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


# -- the properties ------------------------------------------------------------------------


@fuzz(220)
@given(mutation_list=st.lists(mutations, min_size=1, max_size=3))
def test_import_accepts_or_refuses_cleanly(fuzz_base, auditor_client, mutation_list):
    folder = write_bundle(fuzz_base, mutated(mutation_list))
    event(import_and_check(folder, auditor_client))


@fuzz(80)
@given(
    mutation_list=st.lists(mutations, min_size=0, max_size=2),
    where=st.sampled_from(["bundle", "bundle", "bundle", "missing", "file", "empty dir", "nested"]),
    dry_run=st.booleans(),
)
def test_import_command_succeeds_or_raises_command_error(fuzz_base, mutation_list, where, dry_run):
    folder = write_bundle(fuzz_base, mutated(mutation_list))
    if where == "missing":
        folder = folder / "nowhere"
    elif where == "file":
        folder = folder / "reports.yaml"
    elif where == "empty dir":
        folder = folder / "empty"
        folder.mkdir()
    elif where == "nested":
        shutil.move(folder, fuzz_base / "tmp_nested")
        folder.mkdir()
        shutil.move(fuzz_base / "tmp_nested", folder / "inner")
    args = [str(folder)] + (["--dry-run"] if dry_run else [])
    out, err = io.StringIO(), io.StringIO()
    with transaction.atomic():
        try:
            before = snapshot()
            try:
                call_command("import_report", *args, stdout=out, stderr=err)
            except CommandError:
                assert snapshot() == before
                assert "エラー:" in err.getvalue()
                event("CommandError")
            else:
                assert "取り込" in out.getvalue() or "ドライラン" in out.getvalue()
                if dry_run:
                    assert snapshot() == before, "--dry-run wrote to the database"
                event("imported")
        finally:
            transaction.set_rollback(True)


def test_unmutated_bundle_is_a_no_op(fuzz_base, auditor_client):
    """The baseline of the properties: the copy of the real bundle imports without change."""
    folder = write_bundle(fuzz_base, mutated([]))
    assert import_and_check(folder, auditor_client) == "imported, no change"


# -- bugs found by the properties: minimal failing examples ------------------------------------
# Each is the shrunk (or hand-minimised) example of one bug the properties found. The expected
# behaviour is the property's: BundleInvalid naming the file, and the database unchanged.


def refused_naming(fuzz_base, mutation_list, file):
    folder = write_bundle(fuzz_base, mutated(mutation_list))
    before = snapshot()
    with pytest.raises(BundleInvalid) as excinfo:
        import_report_bundle(folder)
    problems = excinfo.value.problems
    check_problems(problems)
    assert any(p.file == file for p in problems), [str(p) for p in problems]
    assert snapshot() == before


@pytest.mark.parametrize(
    "mutation",
    [
        ("set_cell", "organisation/bureaus.csv", "valid_to", 0, "2000-01-01"),
        ("set_cell", "organisation/sections.csv", "valid_to", 0, "2000-01-01"),
        ("set_cell", "organisation/bureaus.csv", "valid_from", 0, "2030-01-01"),
    ],
    ids=["bureau valid_to", "section valid_to", "bureau valid_from"],
)
def test_unit_not_current_on_publication_day_is_refused(fuzz_base, mutation):
    refused_naming(fuzz_base, [mutation], mutation[1])


@pytest.mark.parametrize("row,column", [(0, "name"), (2, "basis")], ids=["dx_fields name", "dx_funding basis"])
def test_stated_total_naming_a_text_column_is_refused(fuzz_base, row, column):
    refused_naming(fuzz_base, [("set_cell", "stated_totals.csv", "column", row, column)], "stated_totals.csv")


@pytest.mark.parametrize("value", ["{1: 2}", "{2024-01-01: 1}"])
def test_stated_counts_key_that_is_not_text_is_refused(fuzz_base, value):
    refused_naming(fuzz_base, [("set_key", "reports.yaml", "stated_counts", 0, value)], "reports.yaml")


@pytest.mark.parametrize(
    "mutation",
    [
        ("set_key", "reports.yaml", "published_on", 0, "2025-02-30"),
        ("set_key", "findings.yaml", "number", 0, "9" * 5000),
        ("set_key", "findings.yaml", "page", 0, "!!int x"),
        ("set_key", "findings.yaml", "page", 0, "!!bool x"),
        ("set_key", "findings.yaml", "page", 0, "!!float ''"),
        ("set_key", "findings.yaml", "page", 0, "!!timestamp x"),
    ],
    ids=["impossible date", "5000 digits", "!!int x", "!!bool x", "!!float ''", "!!timestamp x"],
)
def test_yaml_scalar_its_constructor_rejects_is_refused(fuzz_base, mutation):
    refused_naming(fuzz_base, [mutation], mutation[1])


def test_finding_code_longer_than_4300_digits_is_refused(fuzz_base):
    # the 6th finding is an 意見 (the kind must match for int() to be reached)
    refused_naming(fuzz_base, [("set_key", "findings.yaml", "code", 5, "意見" + "1" * 5000)], "findings.yaml")


@pytest.mark.parametrize("value", ["{契約日: 2024-04-01}", "{a: !!binary aGVsbG8=}", "{a: !!set {x}}"])
def test_extra_value_that_json_cannot_store_is_refused(fuzz_base, value):
    refused_naming(fuzz_base, [("set_key", "budgets/projects.yaml", "extra", 0, value)], "budgets/projects.yaml")


def test_integer_beyond_64_bits_is_refused(fuzz_base):
    folder = write_bundle(fuzz_base, mutated([("set_cell", "systems/systems.csv", "source_line", 0, "9" * 20)]))
    before = snapshot()
    with pytest.raises(BundleInvalid) as excinfo:
        import_report_bundle(folder)
    check_problems(excinfo.value.problems)
    assert snapshot() == before


@pytest.mark.parametrize(
    "mutation",
    [("set_cell", "systems/systems.csv", "source_line", 0, "-1"), ("set_key", "findings.yaml", "page", 0, "-1")],
    ids=["systems.csv source_line", "findings.yaml page"],
)
def test_value_the_database_refuses_is_reported_with_its_file(fuzz_base, mutation):
    folder = write_bundle(fuzz_base, mutated([mutation]))
    with pytest.raises(BundleInvalid) as excinfo:
        import_report_bundle(folder)
    assert any(p.file == mutation[1] for p in excinfo.value.problems), [str(p) for p in excinfo.value.problems]


@pytest.mark.parametrize(
    "mutation",
    [
        ("set_key", "reports.yaml", "published_on", 0, "1926-12-24"),
        ("set_key", "reports.yaml", "audit_period_start", 0, "1900-01-01"),
        ("set_key", "systems/audited_systems.yaml", "fiscal_year", 0, "1900"),
    ],
    ids=["published_on", "audit_period_start", "system budget fiscal_year"],
)
def test_date_before_showa_is_refused_or_shown(fuzz_base, auditor_client, mutation):
    folder = write_bundle(fuzz_base, mutated([mutation]))
    try:
        import_report_bundle(folder)
    except BundleInvalid as exc:
        assert any(p.file == mutation[1] for p in exc.problems), [str(p) for p in exc.problems]
        return
    check_pages(auditor_client)
