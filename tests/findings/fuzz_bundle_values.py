"""The generated input of tests/findings/test_fuzz_import.py: the fuzz settings, a snapshot of every table,
the original bundle in memory, the values a field may be set to (domain names, special texts and YAML
scalars, bad bytes) and the strategy of one to three mutations."""

import csv
import datetime
import hashlib
import io
import json
import os
import re
from pathlib import Path

from django.apps import apps
from django.conf import settings as django_settings
from django.db import connection
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from findings.bundle.schema import CSV_FILES, FILE_ORDER, YAML_FILES

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
