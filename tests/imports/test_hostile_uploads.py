"""Hostile uploads: each file an outside test used to exhaust a worker or answer 500, and a property test of
their relatives. Every one must be refused (UploadRefused, or a batch marked INVALID) with a Japanese
message, within 2 s of CPU and 256 MB of Python allocations, and change nothing.

Measured on the code before the bounds (reading alone, without tracemalloc, no defusedxml): an answer padded to
XFD over 9,000 rows (49 KB) 23.3 s CPU and 1.19 GB, accepted; one 200 MiB cell (210 KB) 2.6 s and +200 MB,
accepted; a flipped byte in a bundle zip BadZipFile (a 500); billion laughs (5.6 KB) 0.49 s and +200 MB.
With the bounds each is refused in under 0.01 s of CPU with no growth."""

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from imports import pipeline
from imports.choices import BatchState
from imports.uploads import UploadRefused

from . import hostile
from .helpers import data_state, make_zip, upload
from .test_fuzz_inquiry import answer  # noqa: F401 - the fixture
from .test_fuzz_inquiry import stage as stage_answer
from .test_fuzz_inquiry import state as answer_state
from .test_fuzz_uploads import JAPANESE, ORIGINAL, auditor, base_workbook, fuzz  # noqa: F401 - auditor: a fixture

pytestmark = pytest.mark.django_db

CPU_SECONDS = 2.0
PEAK_MB = 256
MIB = 1024 * 1024
ANSWER_SHEET = "xl/worksheets/sheet1.xml"  # 回答 (the second, _meta, is sheet2.xml)


def refusal(outcome) -> str:
    """The Japanese message of a refused upload; fails on anything else (an accepted batch, a crash)."""
    if isinstance(outcome, UploadRefused):
        message = str(outcome)
    else:
        assert not isinstance(outcome, Exception), repr(outcome)
        assert outcome.state == BatchState.INVALID, (outcome.state, outcome.summary)
        assert outcome.problems
        message = " ".join(p[2] for p in outcome.problems)
    assert JAPANESE.search(message), message
    return message


def assert_refused_within_bounds(call, *, state=data_state) -> tuple[str, hostile.Cost]:
    before = state()
    cost = hostile.measure(call)
    message = refusal(cost.outcome)
    assert cost.cpu_seconds < CPU_SECONDS, f"{cost}: {message}"
    assert cost.peak_mb < PEAK_MB, f"{cost}: {message}"
    assert state() == before
    return message, cost


def stage_report(data, by, name="hostile.xlsx"):
    return lambda: pipeline.stage(kind=None, upload=upload(data, name), by=by)


# -- the holes, one by one -----------------------------------------------------------------------------------


def test_an_answer_padded_to_column_xfd_is_refused_at_once(answer):  # noqa: F811
    data = hostile.xfd_padded(answer.content, ANSWER_SHEET, rows=20_000)
    assert len(data) < 200_000  # tens of kilobytes, like the outside test's 61 KB file
    message, cost = assert_refused_within_bounds(lambda: stage_answer(answer, data), state=answer_state)
    assert "列が多すぎます" in message and "XFD" in message, message


def test_a_workbook_with_one_200_mib_cell_is_refused_before_reading(auditor):  # noqa: F811
    data = hostile.long_cell(base_workbook(), "xl/worksheets/sheet2.xml", 200 * MIB, shared=True)
    assert len(data) < 1 * MIB
    message, cost = assert_refused_within_bounds(stage_report(data, auditor))
    assert "大きすぎます" in message, message


@pytest.mark.parametrize("shared", [True, False], ids=["shared", "inline"])
def test_a_cell_longer_than_excel_allows_is_refused(auditor, shared):  # noqa: F811
    data = hostile.long_cell(base_workbook(), "xl/worksheets/sheet2.xml", 40_000, shared=shared)
    message, _ = assert_refused_within_bounds(stage_report(data, auditor))
    assert "長すぎるセル" in message and "32,767" in message, message


def test_a_damaged_bundle_zip_is_refused_not_a_500(auditor):  # noqa: F811
    data = hostile.flip_byte(make_zip(ORIGINAL), at=0.5)
    message, _ = assert_refused_within_bounds(stage_report(data, auditor, "bundle.zip"))
    assert "壊れています" in message, message


def test_a_damaged_workbook_is_refused(auditor):  # noqa: F811
    data = hostile.flip_byte(base_workbook(), at=0.5)
    assert_refused_within_bounds(stage_report(data, auditor))


@pytest.mark.parametrize("part", ["xl/worksheets/sheet2.xml", "xl/workbook.xml", "xl/styles.xml"])
def test_billion_laughs_is_refused_without_expanding(auditor, part):  # noqa: F811
    data = hostile.billion_laughs(base_workbook(), part)
    assert len(data) < 64 * 1024
    message, cost = assert_refused_within_bounds(stage_report(data, auditor))
    assert cost.cpu_seconds < 0.5, cost
    assert "DTD" in message, message


def test_openpyxl_parses_through_defusedxml():
    import openpyxl

    assert openpyxl.DEFUSEDXML  # it uses defusedxml's parsers when installed: entity bombs fail inside it too


def test_the_real_template_is_within_the_bounds(auditor, report):  # noqa: F811
    """The bounds leave the real report's workbook (the largest real file) well inside them."""
    from imports.workbook import template_bytes

    data = template_bytes(report)
    cost = hostile.measure(stage_report(data, auditor))
    assert not isinstance(cost.outcome, Exception), cost.outcome
    assert cost.outcome.state == BatchState.PREVIEWED, cost.outcome.problems[:3]


# -- the property --------------------------------------------------------------------------------------------

WORKBOOK_ATTACKS = st.one_of(
    st.tuples(st.just("xfd"), st.integers(1, 30_000)),
    st.tuples(st.just("far_row"), st.integers(20_001, 1_048_576)),
    st.tuples(st.just("many_rows"), st.integers(20_001, 60_000)),
    st.tuples(st.just("long_cell"), st.integers(32_768, 3 * MIB), st.booleans()),
    st.tuples(st.just("huge_cell"), st.integers(61 * MIB, 120 * MIB)),
    st.tuples(st.just("laughs"), st.sampled_from(["sheet", "xl/workbook.xml", "xl/styles.xml", "[Content_Types].xml"])),
    st.tuples(st.just("flip"), st.floats(0.05, 0.95)),
    st.tuples(st.just("bomb"), st.integers(61 * MIB, 120 * MIB)),
    st.tuples(st.just("members"), st.integers(501, 2000)),
)
ZIP_ATTACKS = st.one_of(
    st.tuples(st.just("flip"), st.floats(0.0, 0.99)),
    st.tuples(st.just("bomb"), st.integers(61 * MIB, 120 * MIB)),
    st.tuples(st.just("members"), st.integers(201, 3000)),
    st.tuples(st.just("laughs_yaml"), st.integers(6, 9)),
    st.tuples(st.just("wide_csv"), st.integers(10_000, 500_000)),
    st.tuples(st.just("long_field"), st.integers(32_768, 1_000_000)),
    st.tuples(st.just("many_rows_csv"), st.integers(20_001, 1_000_000)),
)


def hostile_workbook(base: bytes, sheet: str, attack) -> bytes:
    kind, *args = attack
    if kind == "xfd":
        return hostile.xfd_padded(base, sheet, rows=args[0])
    if kind == "far_row":
        return hostile.far_row(base, sheet, args[0])
    if kind == "many_rows":
        return hostile.many_rows(base, sheet, args[0] - 1)
    if kind == "long_cell":
        return hostile.long_cell(base, sheet, args[0], shared=args[1])
    if kind == "huge_cell":
        return hostile.long_cell(base, sheet, args[0], shared=True)
    if kind == "laughs":
        return hostile.billion_laughs(base, sheet if args[0] == "sheet" else args[0])
    if kind == "flip":
        return hostile.flip_byte(base, at=args[0])
    if kind == "bomb":
        return hostile.bomb_member(base, args[0])
    return hostile.many_members(base, args[0])


def laughs_yaml(text: bytes, depth: int) -> bytes:
    """YAML's billion laughs: anchors and aliases, ten times per level, in the first finding."""
    lines = ["  x0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, depth + 1):
        lines.append(f"  x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    lines.append(f"  subjects: *a{depth}")
    head, newline, rest = text.partition(b"\n")
    return head + newline + "\n".join(lines).encode() + b"\n" + rest


def hostile_zip(attack) -> bytes:
    kind, *args = attack
    files = dict(ORIGINAL)
    if kind == "flip":
        return hostile.flip_byte(make_zip(files), at=args[0])
    if kind == "bomb":
        return hostile.bomb_member(make_zip(files), args[0], "kanazawa-2024-dx/bomb.csv")
    if kind == "members":
        return hostile.many_members(make_zip(files), args[0])
    if kind == "laughs_yaml":
        files["findings.yaml"] = laughs_yaml(files["findings.yaml"], args[0])
    elif kind == "wide_csv":
        files["organisation/bureaus.csv"] += b"1," + b"," * args[0] + b"\n"
    elif kind == "long_field":
        files["organisation/bureaus.csv"] += b'99,"' + "長".encode() * args[0] + b'",,\n'
    elif kind == "many_rows_csv":
        files["systems/systems.csv"] += b"\n" * args[0]
    return make_zip(files)


@fuzz(20)
@given(attack=WORKBOOK_ATTACKS)
def test_hostile_report_workbooks_are_refused_within_bounds(auditor, attack):  # noqa: F811
    event(attack[0])
    data = hostile_workbook(base_workbook(), "xl/worksheets/sheet2.xml", attack)
    assert_refused_within_bounds(stage_report(data, auditor))


@fuzz(20)
@given(attack=WORKBOOK_ATTACKS)
def test_hostile_answer_workbooks_are_refused_within_bounds(answer, attack):  # noqa: F811
    event(attack[0])
    if attack[0] == "bomb":
        attack = ("bomb", attack[1] // 6)  # still over the answer's 10 MB
    data = hostile_workbook(answer.content, ANSWER_SHEET, attack)
    assert_refused_within_bounds(lambda: stage_answer(answer, data), state=answer_state)


@fuzz(15)
@given(attack=ZIP_ATTACKS)
def test_hostile_bundle_zips_are_refused_within_bounds(auditor, attack):  # noqa: F811
    event(attack[0])
    data = hostile_zip(attack)
    assert_refused_within_bounds(stage_report(data, auditor, "bundle.zip"))
