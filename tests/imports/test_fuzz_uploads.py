"""Property-based tests of uploads through the browser's pipeline: hundreds of generated broken zips
and workbooks. Every mutation here is one that must be refused (a required file or sheet gone, a
required column renamed, text in a number, a key twice, a date that is not one, an unsafe or damaged
archive, a formula with no value …), so the property is strict:

- `pipeline.stage` either refuses the file (UploadRefused) or stores a batch marked INVALID whose
  problems are non-empty Japanese messages; it raises nothing else;
- confirming an invalid batch is refused;
- the data is exactly as before (every report's canonical export, the organisation, the change log).

Examples are derandomised; FUZZ_SCALE=10 runs ten times as many with a random seed.
"""

import io
import os
import re
import zipfile

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from auditreg.choices import Role
from imports import pipeline
from imports.choices import BatchState
from imports.uploads import UploadRefused

from .helpers import data_state, fixture_files, make_zip, upload

pytestmark = pytest.mark.django_db

SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")
ORIGINAL = fixture_files()


def fuzz(n):
    return settings(
        max_examples=max(int(n * SCALE), 1),
        derandomize=SCALE == 1,
        deadline=None,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: a failure prints its example as is
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )


NOT_A_NUMBER = st.text(alphabet="一二三あいうabc-＋.", min_size=1, max_size=6).filter(
    lambda s: not s.strip().lstrip("-").isdigit()
)
NOT_A_DATE = st.sampled_from(["令和7年4月11日", "2025/04/11", "2025-02-30", "昨日", "2025-13-01", "R7.4.11"])
# a workbook cell is read as people type dates (令和7年4月11日, R7.4.11, 2025/04/11: auditreg.wareki.parse_date,
# issue 13), so a bad date there is one no era has or no calendar has
NOT_A_DATE_IN_A_SHEET = st.sampled_from(
    ["2025-02-30", "昨日", "2025-13-01", "平成35年1月1日", "令和1年4月1日", "R7.2.30"]
)
REQUIRED = ["reports.yaml", "organisation/bureaus.csv", "organisation/sections.csv", "findings.yaml"]
# (file, column index of an integer column) for CSV files, and CSV files keyed by their first column
INT_COLUMNS = [
    ("organisation/bureaus.csv", 0),
    ("systems/systems.csv", 0),
    ("budgets/fields.csv", 0),
    ("budgets/lines.csv", 1),
    ("systems/expenditure_by_bureau.csv", 1),
]


def _csv_lines(files, name):
    return files[name].decode("utf-8").split("\n")


def _set_csv(files, name, lines):
    files[name] = "\n".join(lines).encode("utf-8")


@st.composite
def zip_mutation(draw):
    kind = draw(
        st.sampled_from(
            ["drop_required", "not_utf8", "int_text", "rename_column", "duplicate_system", "bad_date", "empty_required"]
        )
    )
    if kind in ("drop_required", "not_utf8", "empty_required"):
        return (kind, draw(st.sampled_from(REQUIRED)), draw(st.binary(min_size=1, max_size=40)))
    if kind == "int_text":
        name, column = draw(st.sampled_from(INT_COLUMNS))
        row = draw(st.integers(1, len(_csv_lines(ORIGINAL, name)) - 2))
        return (kind, name, (row, column, draw(NOT_A_NUMBER)))
    if kind == "rename_column":
        name = draw(st.sampled_from(sorted(n for n in ORIGINAL if n.endswith(".csv") and n != "repairs.csv")))
        header = _csv_lines(ORIGINAL, name)[0].split(",")
        return (
            kind,
            name,
            (draw(st.integers(0, len(header) - 1)), draw(st.sampled_from(["列", "x", "番号 ", "NAME"]))),
        )
    if kind == "duplicate_system":
        return (kind, "systems/systems.csv", draw(st.integers(1, 162)))
    return (kind, "reports.yaml", (draw(st.sampled_from(["published_on", "submitted_on"])), draw(NOT_A_DATE)))


def apply_zip_mutation(files, mutation):
    kind, name, arg = mutation
    if name not in files:  # an earlier mutation removed it: already broken
        return
    if kind not in ("drop_required", "empty_required", "not_utf8"):
        try:
            files[name].decode("utf-8")
        except UnicodeDecodeError:  # an earlier not_utf8 made it unreadable: already broken
            return
    if kind == "drop_required":
        files.pop(name, None)
    elif kind == "empty_required":
        files[name] = b""
    elif kind == "not_utf8":
        files[name] = b"\xff\xfe\x80" + arg + files.get(name, b"")
    elif kind == "int_text":
        row, column, text = arg
        lines = _csv_lines(files, name)
        cells = lines[row].split(",")
        cells[column] = text
        lines[row] = ",".join(cells)
        _set_csv(files, name, lines)
    elif kind == "rename_column":
        column, new = arg
        lines = _csv_lines(files, name)
        header = lines[0].split(",")
        header[column] = new
        lines[0] = ",".join(header)
        _set_csv(files, name, lines)
    elif kind == "duplicate_system":
        lines = _csv_lines(files, name)
        lines.insert(arg + 1, lines[arg])
        _set_csv(files, name, lines)
    elif kind == "bad_date":
        key, text = arg
        text_before = files[name].decode("utf-8")
        files[name] = re.sub(rf"^(  {key}): .*$", rf"\1: '{text}'", text_before, count=1, flags=re.M).encode()


@st.composite
def archive_damage(draw):
    return draw(st.sampled_from(["none", "none", "none", "truncate", "traversal", "absolute", "garbage_prefix"])), draw(
        st.integers(10, 60000)
    )


def damage(data: bytes, kind: str, n: int) -> bytes:
    if kind == "truncate":
        return data[: min(n, len(data) - 1)]
    if kind == "garbage_prefix":
        return b"\x00" * 8 + data
    if kind in ("traversal", "absolute"):
        buffer = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as target:
            for info in source.infolist():
                target.writestr(info, source.read(info))
            target.writestr("../evil.csv" if kind == "traversal" else "/etc/evil.csv", b"x")
        return buffer.getvalue()
    return data


@pytest.fixture
def auditor(make_user):
    return make_user("fuzz-auditor", role=Role.AUDITOR)


def assert_refused_cleanly(data: bytes, auditor, name: str):
    before = data_state()
    try:
        batch = pipeline.stage(kind=None, upload=upload(data, name), by=auditor)
    except UploadRefused as exc:
        assert JAPANESE.search(str(exc)), exc
    else:
        assert batch.state == BatchState.INVALID, (batch.summary, batch.changes[:5])
        assert batch.problems
        for place, _field, message in batch.problems:
            assert message and JAPANESE.search(message), (place, message)
        with pytest.raises(pipeline.ConfirmRefused):
            pipeline.confirm(batch=batch, by=auditor)
    assert data_state() == before


@fuzz(120)
@given(mutations=st.lists(zip_mutation(), min_size=1, max_size=3), damage_kind=archive_damage())
def test_broken_zips_are_refused_with_messages_and_change_nothing(auditor, mutations, damage_kind):
    files = dict(ORIGINAL)
    for mutation in mutations:
        apply_zip_mutation(files, mutation)
    data = damage(make_zip(files), *damage_kind)
    assert_refused_cleanly(data, auditor, "fuzz.zip")


# -- workbooks ---------------------------------------------------------------------------------

REQUIRED_SHEETS = ["reports", "bureaus", "sections", "findings"]
_WORKBOOK = {}


def base_workbook() -> bytes:
    """The Excel template of the small 令和3年度 report (fast to mutate), made once."""
    if "data" not in _WORKBOOK:
        from findings.models import AuditReport
        from imports.workbook import template_bytes

        _WORKBOOK["data"] = template_bytes(AuditReport.objects.get(code="kanazawa-2021-citizen"))
    return _WORKBOOK["data"]


@st.composite
def sheet_mutation(draw):
    kind = draw(
        st.sampled_from(
            ["drop_sheet", "clear_sheet", "rename_header", "int_text", "formula", "bad_date", "dup_finding"]
        )
    )
    if kind in ("drop_sheet", "clear_sheet"):
        return (kind, draw(st.sampled_from(REQUIRED_SHEETS)), None)
    if kind == "rename_header":
        return (
            kind,
            draw(st.sampled_from(["bureaus", "sections"])),
            (draw(st.integers(1, 3)), draw(st.sampled_from(["列", "x", "NAME"]))),
        )
    if kind == "int_text":
        return (kind, "bureaus", (draw(st.integers(2, 15)), draw(NOT_A_NUMBER)))
    if kind == "formula":
        sheet = draw(st.sampled_from(["bureaus", "sections", "findings", "reports"]))
        return (
            kind,
            sheet,
            (draw(st.integers(2, 3)), draw(st.integers(1, 3)), draw(st.sampled_from(["=1+1", "=A2", '="x"&"y"']))),
        )
    if kind == "bad_date":
        return (kind, "reports", draw(NOT_A_DATE_IN_A_SHEET))
    return (kind, "findings", None)


def apply_sheet_mutation(book, mutation):
    kind, sheet, arg = mutation
    if sheet not in book.sheetnames:
        return
    ws = book[sheet]
    if kind == "drop_sheet":
        del book[sheet]
    elif kind == "clear_sheet":
        ws.delete_rows(1, ws.max_row)
    elif kind == "rename_header":
        column, new = arg
        if ws.max_row >= 1:
            ws.cell(1, column).value = new
    elif kind == "int_text":
        row, text = arg
        ws.cell(min(row, max(ws.max_row, 2)), 1).value = text
    elif kind == "formula":
        row, column, formula = arg
        ws.cell(row, column).value = formula  # written without a calculated value: must be refused
    elif kind == "bad_date":
        header = [c.value for c in ws[1]] if ws.max_row >= 1 else []
        if "published_on" in header:
            cell = ws.cell(2, header.index("published_on") + 1)
            cell.value = arg
            cell.data_type = "s"
    elif kind == "dup_finding":
        if ws.max_row >= 2:
            ws.append([c.value for c in ws[2]])


@fuzz(120)
@given(mutations=st.lists(sheet_mutation(), min_size=1, max_size=3), cut=st.sampled_from([None, None, None, 200, 5000]))
def test_broken_workbooks_are_refused_with_messages_and_change_nothing(auditor, mutations, cut):
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(base_workbook()))
    for mutation in mutations:
        apply_sheet_mutation(book, mutation)
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    if cut:
        data = data[:cut]
    assert_refused_cleanly(data, auditor, "fuzz.xlsx")


def test_the_unmutated_workbook_previews_without_problems(auditor):
    batch = pipeline.stage(kind=None, upload=upload(base_workbook(), "base.xlsx"), by=auditor)
    assert batch.state == BatchState.PREVIEWED and batch.problems == [], batch.problems
