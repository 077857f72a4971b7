"""Property-based test of inquiry answers (照会の回答): ~120 generated broken answer workbooks, each
made from a section's real workbook (imports.inquiry.section_workbook) by 1–3 mutations that must
each, on their own, make the upload invalid (the _meta or answer sheet gone or renamed, _meta naming
another or no round or section, a row naming another section's measure, a measure outside the round or
no number at all, a status not in the list, a date that is not one, a formula with no stored value, a
measure's row twice, the header row gone, moved or a required heading renamed, a service rule broken
(措置済 without 措置年月日 …), a damaged part of the file, the file cut short). The property is strict:

- `pipeline.stage` either refuses the file (UploadRefused, a Japanese message, no batch stored) or
  stores a batch marked INVALID whose problems are non-empty Japanese messages; it raises nothing else;
- confirming that batch is refused (ConfirmRefused);
- measure reports, measures, the round's responses and the change log are exactly as before.

Every example runs inside the same test transaction, so nothing may be written by any of them (which
is also asserted): examples cannot depend on each other. Mutations are applied in a fixed order (cells,
then rows, then the header, then sheets, then the file's bytes) so that each one still finds what it
breaks. Examples are derandomised; FUZZ_SCALE=10 runs ten times as many with a random seed.

Found: on SQLite a 措置ID cell holding a number from 2**63 up crashes the preview (OverflowError from
InquiryHandler._check_rows' `Measure.objects.filter(pk__in=...)`) instead of becoming a problem. A
workbook stores numbers as doubles, so typing 9223372036854775807 or 1E+19 into the cell is enough (the
file holds 9.223372036854776e+18, read back as 2**63). On PostgreSQL the same file is a problem as it
should be. Fixed (ids outside 64 bits are "not an id"); the minimal examples stay at the end of the file.
"""

import datetime
import io
import zipfile
from dataclasses import dataclass

import openpyxl
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from auditreg.choices import Role
from auditreg.models import ChangeLog, Section
from findings import services
from findings.choices import StatusCode
from findings.models import Finding, Measure, MeasureReport
from imports import inquiry, pipeline
from imports.choices import BatchKind, BatchState
from imports.models import ImportBatch, InquiryResponse
from imports.uploads import UploadRefused

from .test_fuzz_uploads import JAPANESE, fuzz
from .test_inquiry_common import REPLY_BY, draft, save_book, upload

pytestmark = pytest.mark.django_db

LABELS = ["措置予定・検討中", "措置中", "措置済", "措置しない"]  # the status list of the workbook (not 未着手)
HEADER_KEYS = ["id", *inquiry.FIELD_ORDER]  # the headings the handler cannot do without
DATE_KEYS = ["completed_on", "planned_completion_on"]


# -- the section's workbook every example starts from ------------------------------------------


@dataclass(frozen=True)
class Ref:
    """A value that depends on the database (a primary key), named in the example and looked up in
    the fixture's `refs` when the mutation is applied."""

    name: str


@dataclass(repr=False)  # a short repr: hypothesis prints the fixture with a failing example
class Answer:
    staff: object
    round: object
    section: Section
    content: bytes  # the section's workbook, as downloaded
    header: int  # the header row's number on the answer sheet
    rows: list[int]  # the measures' row numbers, in the workbook's order
    columns: dict[str, int]  # key (inquiry.LOCKED / EDITABLE) -> column number
    refs: dict[str, object]
    before: dict

    def __repr__(self):
        return f"Answer(round={self.round.pk}, section={self.section.pk}, rows={self.rows}, refs={self.refs})"

    def _repr_pretty_(self, p, cycle):  # what hypothesis prints for a failing example
        p.text(repr(self))


_WORKBOOKS: dict[tuple, bytes] = {}


def _workbook(round_, section, staff) -> bytes:
    """The section's workbook, made once per state of the data it is made from. The key is what the
    workbook and its _meta record (round, section, the measures and their reports, by primary key and
    version): on SQLite the rolled-back primary keys are reused, so later tests reuse the bytes; on
    PostgreSQL sequences move on and every test makes its own."""
    key_batch = ImportBatch(round=round_, section=section)
    key = (round_.pk, section.pk, inquiry.InquiryHandler().fingerprint(key_batch))
    if key not in _WORKBOOKS:
        _WORKBOOKS[key] = inquiry.section_workbook(inquiry_round=round_, section=section, by=staff)
    return _WORKBOOKS[key]


def state() -> dict:
    """Everything an answer could write: reports and measures (all fields), the responses (all fields)
    and the change log's size."""
    return {
        "reports": sorted(MeasureReport.objects.values_list()),
        "measures": sorted(Measure.objects.values_list()),
        "responses": sorted(InquiryResponse.objects.values_list()),
        "changelog": ChangeLog.objects.count(),
    }


@pytest.fixture
def answer(make_user, report) -> Answer:
    """A round with three measures of 広報広聴課 (a draft 措置中, a draft 措置済 with its date, none yet),
    another section's measure in the round, a second round, and a measure of the section outside both."""
    section = Section.objects.get(bureau__name="都市政策局", name="広報広聴課")
    other = Section.objects.get(bureau__name="都市政策局", name="交通政策課")
    outside = Section.objects.exclude(pk__in=[section.pk, other.pk]).order_by("pk").first()
    auditor = make_user("fuzz-auditor", Role.AUDITOR)
    staff = make_user("fuzz-staff", Role.SECTION_STAFF, section)
    finding = {
        c: Finding.objects.get(report=report, code=c) for c in ("指摘01", "意見03", "意見05", "意見16", "意見17")
    }

    def assign(code, sections):
        return services.finding_assign(finding=finding[code], sections=sections, reply_by=REPLY_BY, by=auditor)

    m01, m01_other = assign("指摘01", [section, other])
    (m03,) = assign("意見03", [section])
    assign("意見05", [section])
    (m16_other,) = assign("意見16", [other])
    (m17,) = assign("意見17", [section])
    round_ = inquiry.round_create(
        title="令和7年度 措置状況照会",
        reply_by=REPLY_BY,
        findings=[finding["指摘01"], finding["意見03"], finding["意見05"]],
        sections=[section, other],
        by=auditor,
    )
    second = inquiry.round_create(
        title="第2回", reply_by=REPLY_BY, findings=[finding["意見16"]], sections=[other], by=auditor
    )
    draft(m01, staff)
    draft(m03, staff, code=StatusCode.DONE)
    assert [s.label for s in inquiry.report_statuses()] == LABELS
    content = _workbook(round_, section, staff)

    ws = openpyxl.load_workbook(io.BytesIO(content), read_only=True)[inquiry.SHEET]
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    header = next(i for i, r in enumerate(values, start=1) if str(r[0]).startswith(inquiry.ID_HEADER))
    labels = {str(v).split("\n")[0]: c for c, v in enumerate(values[header - 1], start=1) if v is not None}
    columns = {key: labels[label] for key, label, _, _ in inquiry.LOCKED + inquiry.EDITABLE}
    rows = [i for i, r in enumerate(values, start=1) if i > header and r[0] is not None]
    assert len(rows) == 3
    missing = 999_999_999
    assert not Measure.objects.filter(pk=missing).exists() and not Section.objects.filter(pk=missing).exists()
    refs = {
        "other_round": second.pk,
        "other_section": other.pk,
        "outside_section": outside.pk,
        "other_sections_measure": m01_other.pk,  # the same finding, the other section, in the round
        "other_round_measure": m16_other.pk,  # the other section, in the second round only
        "own_measure_not_in_round": m17.pk,
    }
    return Answer(staff, round_, section, content, header, rows, columns, refs, state())


# -- mutations: each must, on its own, make the upload invalid ---------------------------------

NOT_A_LABEL = st.one_of(
    st.sampled_from(
        ["完了", "未着手", "措置済み", "措置中（一部）", "済", "対応中", "措置予定", "措置しない。", "ー", "3"]
    ),
    st.text(alphabet="措置中済予定検討しない完了未着手・", min_size=1, max_size=8),
).filter(lambda s: inquiry._clean_text(s) not in LABELS)
# Text parse_date cannot read: no digits (its patterns need them) or a date that does not exist or is
# out of range. Nothing that NFKC turns into digits, nothing blank, nothing that starts with "=".
NOT_A_DATE = st.one_of(
    st.sampled_from(
        [
            "来月末",
            "2025年度中",
            "6/30",
            "令和7年6月",
            "30/6/2025",
            "2025/13/40",
            "令和7年2月30日",
            "2025-02-29",
            "1900/1/2",
            "2201/1/1",
            "R7年度末",
            "未定",
        ]
    ),
    st.text(alphabet="来月末頃未定予定年度中上下旬ごろ/-.", min_size=1, max_size=8),
)
FORMULAS = st.sampled_from(["=1+1", '="措置中"', "=TODAY()", "=H6", '=IF(TRUE,"措置済","")', '=A1&"x"'])
NOT_AN_ID = st.one_of(
    st.sampled_from([Ref(n) for n in ("other_sections_measure", "other_round_measure", "own_measure_not_in_round")]),
    st.sampled_from([999_999_999, 0, -1, 2**31, 2**53, 1.5, None, True, "ID", "一", "１"]),
    st.text(alphabet="一二三abcIDあ-＃", min_size=1, max_size=6),
)
NOT_THIS_ROUND = st.sampled_from([Ref("other_round"), 999_999_999, None, "第1回", 0, 2**63])
NOT_THIS_SECTION = st.sampled_from(
    [Ref("other_section"), Ref("outside_section"), 999_999_999, None, "広報広聴課", -1, 2**63]
)
RULES = ["done_without_date", "wont_without_reason", "no_text", "date_while_not_done"]
# Parts of every workbook openpyxl writes (it writes no sharedStrings.xml here: the strings are inline);
# sheet2.xml (_meta) is missing only when a sheet was dropped, which is refused anyway.
PARTS = ["[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/worksheets/sheet1.xml"]
PARTS += ["xl/worksheets/sheet2.xml"]
ROW = st.integers(0, 2)
# Mutations of the rows come twice: the others stop the handler before it reads any row.
ROW_KINDS = ["measure_id", "status", "date", "formula", "rule", "duplicate"]
KINDS = ["drop_sheet", "rename_sheet", "meta_mark", "meta_round", "meta_section", "header", "damage", "truncate"]
KINDS += ROW_KINDS * 2


def _rename_sheet(draw):
    sheet = draw(st.sampled_from([inquiry.SHEET, inquiry.META]))
    names = ["回答 (2)", "Sheet1", "回答シート"] if sheet == inquiry.SHEET else ["meta", "_meta2", "Sheet2"]
    return (sheet, draw(st.sampled_from(names)))


def _header(draw):
    action = draw(st.sampled_from(["rename", "rename", "remove_row", "push_down"]))
    if action == "rename":
        return (action, draw(st.sampled_from(HEADER_KEYS)), draw(st.sampled_from(["列", "NAME", "状況", ""])))
    return (action,)


# per kind, the arguments a mutation draws (in the order it draws them)
ARGUMENTS = {
    "drop_sheet": lambda draw: (draw(st.sampled_from([inquiry.SHEET, inquiry.META])),),
    "rename_sheet": _rename_sheet,
    "meta_mark": lambda draw: (draw(st.sampled_from([None, "auditreg", "auditreg-inquiry2", "照会", 1])),),
    "meta_round": lambda draw: (draw(NOT_THIS_ROUND),),
    "meta_section": lambda draw: (draw(NOT_THIS_SECTION),),
    "measure_id": lambda draw: (draw(ROW), draw(NOT_AN_ID)),
    "status": lambda draw: (draw(ROW), draw(NOT_A_LABEL)),
    "date": lambda draw: (draw(ROW), draw(st.sampled_from(DATE_KEYS)), draw(NOT_A_DATE)),
    "formula": lambda draw: (draw(ROW), draw(st.sampled_from(inquiry.FIELD_ORDER)), draw(FORMULAS)),
    "rule": lambda draw: (draw(ROW), draw(st.sampled_from(RULES))),
    "duplicate": lambda draw: (draw(ROW), draw(st.sampled_from(["end", "next"]))),
    "header": _header,
    "damage": lambda draw: (draw(st.sampled_from(PARTS)), draw(st.sampled_from(["broken", "missing"]))),
    "truncate": lambda draw: (draw(st.integers(0, 999)),),  # per mille of the file kept
}


@st.composite
def mutation(draw):
    kind = draw(st.sampled_from(KINDS))
    return (kind, *ARGUMENTS[kind](draw))


# cells (0), then rows, the header (its heading renamed before the row is removed or moved), sheets, bytes
ORDER = {"duplicate": 1, "header": 2, "drop_sheet": 3, "rename_sheet": 3, "damage": 4, "truncate": 5}
HEADER_ORDER = {"rename": 0, "remove_row": 1, "push_down": 2}


def _order(m) -> tuple:
    return (ORDER.get(m[0], 0), HEADER_ORDER.get(m[1], 0) if m[0] == "header" else 0)


def _value(answer, value):
    return answer.refs[value.name] if isinstance(value, Ref) else value


def _meta_cell(book, name):
    """The _meta cell holding `name`'s value (round, section), found by its label in column A."""
    ws = book[inquiry.META]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == name)
    return ws.cell(row, 2)


def _set_cells(answer, book, index, values: dict):
    ws = book[inquiry.SHEET]
    for key, value in values.items():
        ws.cell(answer.rows[index], answer.columns[key]).value = value


def _fill_text(answer, book, index, text):
    cell = book[inquiry.SHEET].cell(answer.rows[index], answer.columns["text"])
    if not cell.value:
        cell.value = text


def _rule(answer, book, index, rule):
    """Break one rule of findings.services._validate_report, which the handler reports per row."""
    if rule == "done_without_date":
        _set_cells(answer, book, index, {"status": "措置済", "completed_on": None})
        _fill_text(answer, book, index, "措置を完了した。")
    elif rule == "wont_without_reason":
        _set_cells(answer, book, index, {"status": "措置しない", "completed_on": None, "reason": None})
    elif rule == "no_text":
        _set_cells(answer, book, index, {"status": "措置中", "completed_on": None, "text": None})
    else:  # date_while_not_done
        _set_cells(answer, book, index, {"status": "措置中", "completed_on": datetime.date(2025, 8, 1)})
        _fill_text(answer, book, index, "対応中。")


def _duplicate(answer, book, index, where):
    ws = book[inquiry.SHEET]
    source = answer.rows[index]
    values = [ws.cell(source, c).value for c in range(1, ws.max_column + 1)]
    target = ws.max_row + 1
    if where == "next":
        target = source + 1
        ws.insert_rows(target)
    for c, value in enumerate(values, start=1):
        ws.cell(target, c).value = value


def _header(answer, book, action, *args):
    ws = book[inquiry.SHEET]
    if action == "rename":
        key, new = args
        ws.cell(answer.header, answer.columns[key]).value = new or None
    elif action == "remove_row":
        ws.delete_rows(answer.header)
    else:  # push_down: the handler looks for the header in the first 15 rows
        ws.insert_rows(1, 16 - answer.header)


def _drop_sheet(book, name):
    if name in book.sheetnames:
        del book[name]
    if not any(ws.sheet_state == "visible" for ws in book.worksheets):
        book.create_sheet("Sheet1")  # a workbook keeps one visible sheet (Excel would not save it otherwise)
    book.active = next(i for i, ws in enumerate(book.worksheets) if ws.sheet_state == "visible")


def _rename_sheet(book, name, new):
    if name in book.sheetnames and new not in book.sheetnames:
        book[name].title = new


def apply_to_book(answer, book, mutation):
    kind, *args = mutation
    if kind == "drop_sheet":
        _drop_sheet(book, *args)
    elif kind == "rename_sheet":
        _rename_sheet(book, *args)
    elif kind == "meta_mark":
        book[inquiry.META].cell(1, 1).value = args[0]
    elif kind in ("meta_round", "meta_section"):
        _meta_cell(book, kind.removeprefix("meta_")).value = _value(answer, args[0])
    elif kind == "measure_id":
        book[inquiry.SHEET].cell(answer.rows[args[0]], answer.columns["id"]).value = _value(answer, args[1])
    elif kind == "status":
        _set_cells(answer, book, args[0], {"status": args[1]})
    elif kind in ("date", "formula"):
        index, key, text = args
        cell = book[inquiry.SHEET].cell(answer.rows[index], answer.columns[key])
        cell.value = text  # a formula is written without a calculated value; a date as text
        if kind == "date":
            cell.data_type = "s"
    elif kind == "rule":
        _rule(answer, book, *args)
    elif kind == "duplicate":
        _duplicate(answer, book, *args)
    elif kind == "header":
        _header(answer, book, *args)


def apply_to_bytes(data: bytes, mutation) -> bytes:
    kind, *args = mutation
    if kind == "truncate":
        return data[: len(data) * args[0] // 1000]
    part, how = args
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != part:
                target.writestr(info, source.read(info))
            elif how == "broken":
                target.writestr(info, source.read(info)[:200] + b"<row><c")
    return out.getvalue()


def mutated(answer, mutations) -> bytes:
    ordered = sorted(mutations, key=_order)
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    for m in ordered:
        if ORDER.get(m[0], 0) < 4:
            apply_to_book(answer, book, m)
    data = save_book(book)
    for m in ordered:
        if ORDER.get(m[0], 0) >= 4:
            data = apply_to_bytes(data, m)
    return data


# -- the property ------------------------------------------------------------------------------


def stage(answer, data):
    return pipeline.stage(
        kind=BatchKind.INQUIRY, upload=upload(data), by=answer.staff, inquiry_round=answer.round, section=answer.section
    )


def assert_refused_cleanly(answer, data) -> str:
    batches = ImportBatch.objects.count()
    try:
        batch = stage(answer, data)
    except UploadRefused as exc:
        assert JAPANESE.search(str(exc)), exc
        assert ImportBatch.objects.count() == batches  # nothing stored
        outcome = "refused"
    else:
        assert batch.state == BatchState.INVALID, (batch.summary, batch.changes[:5], batch.warnings[:5])
        assert batch.problems
        for place, _field, message in batch.problems:
            assert message and JAPANESE.search(message), (place, message)
        with pytest.raises(pipeline.ConfirmRefused):
            pipeline.confirm(batch=batch, by=answer.staff)
        outcome = "invalid: " + batch.problems[0][2][:12]
    assert state() == answer.before  # the state the test started from: no example wrote anything
    return outcome


@pytest.mark.filterwarnings("ignore:Defined names for sheet index:UserWarning")  # openpyxl, a sheet dropped
@fuzz(120)
@given(mutations=st.lists(mutation(), min_size=1, max_size=3))
def test_broken_answer_workbooks_are_refused_with_messages_and_change_nothing(answer, mutations):
    for m in mutations:
        event(f"mutation: {m[0]}")
    event(assert_refused_cleanly(answer, mutated(answer, mutations)))


def test_the_unmutated_workbook_previews_without_problems_and_a_valid_edit_is_read(answer):
    """The property is not vacuous: the same workbook as downloaded is accepted, and the rows and columns
    the mutations write to are the ones the handler reads."""
    batch = stage(answer, answer.content)
    assert batch.state == BatchState.PREVIEWED and batch.problems == [] and batch.warnings == [], batch.problems
    assert batch.summary == {inquiry.ITEM_LABEL: {"created": 0, "updated": 0, "unchanged": 3, "deleted": 0}}
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    _set_cells(answer, book, 2, {"status": "措置中", "text": "様式から記入。", "planned_completion_on": "2026/3/31"})
    edited = stage(answer, save_book(book))
    assert edited.state == BatchState.PREVIEWED and edited.problems == [], edited.problems
    assert edited.summary[inquiry.ITEM_LABEL]["created"] == 1
    assert state() == answer.before


# -- found by the property, fixed in imports.inquiry._as_int -------------------------------------------


@pytest.mark.parametrize("value", [2**63 - 1, 1e19], ids=["2**63-1", "1e19"])
def test_a_measure_id_beyond_64_bits_is_a_problem_not_a_crash(answer, value):
    """The first row's 措置ID typed as a number Excel stores as 2**63 (a double): expected a problem
    such as 「この照会の対象ではありません（措置ID …）」, as on PostgreSQL; on SQLite stage() raises."""
    assert_refused_cleanly(answer, mutated(answer, [("measure_id", 0, value)]))
