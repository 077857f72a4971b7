"""Inquiry rounds (照会): the audit office asks sections to report on chosen measures by a date.

Each section downloads a workbook pre-filled with its own measures, fills in the measure columns and
uploads it back. The upload goes through the import pipeline (imports.pipeline: stage → preview →
confirm) with InquiryHandler below, which writes every changed row through
findings.services.report_save_draft: the very service the measure page uses, so an answer lands as
a draft for the section head to approve, with the same validation, permissions, change log and the
指摘01 rule (whoever drafted or edited a report may not approve it).

Services (writes): round_create, section_workbook (records the first download).
Selectors (reads, scoped in one place): rounds_for, round_of, round_detail, round_list,
section_states, section_items.
"""

import datetime
import hashlib
import io
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone

from auditreg import access, wareki
from auditreg.changelog import record
from auditreg.models import ChangeLog, Section
from auditreg.wareki import format_date
from findings import services as finding_services
from findings.choices import OPEN_REPORT_STATES, ReportState, StatusCode
from findings.forms import EARLIEST, LATEST
from findings.models import Measure, MeasureReport, MeasureStatus

from .access import round_for
from .choices import BatchKind, ResponseState
from .models import InquiryItem, InquiryResponse, InquiryRound
from .pipeline import Plan
from .uploads import UploadRefused, WorkbookLimits, read_workbook_values

APPROVED_STATES = (ReportState.SUBMITTED, ReportState.ACCEPTED)
EDITABLE_STATES = (ReportState.DRAFT, ReportState.RETURNED, ReportState.REVISING)


# -- rounds: the service ----------------------------------------------------------------------


@transaction.atomic
def round_create(*, title, reply_by, findings, sections, note="", by) -> InquiryRound:
    """Open a round. Its items are the existing measures of the chosen findings × sections (a finding ×
    section that is not assigned is simply not included); one response per section that has items."""
    access.allowed(by, "create_inquiry").check()
    title = (title or "").strip()
    errors = {}
    if not title:
        errors["title"] = "件名を入力してください。"
    if reply_by is None:
        errors["reply_by"] = "回答期限を入力してください。"
    if errors:
        raise ValidationError(errors)
    measures = list(
        Measure.objects.filter(finding__in=[f.pk for f in findings], section__in=[s.pk for s in sections])
        .order_by("pk")
        .values_list("pk", "section_id")
    )
    if not measures:
        raise ValidationError(
            "選んだ指摘・意見と課の組み合わせには、割り当て済みの措置がありません。"
            "所管課が割り当てられている指摘・意見と課を選んでください。"
        )
    round_ = InquiryRound(title=title, reply_by=reply_by, note=note or "", created_by=by, created_at=timezone.now())
    round_.full_clean()
    round_.save()
    InquiryItem.objects.bulk_create([InquiryItem(round=round_, measure_id=pk) for pk, _ in measures])
    section_ids = sorted({section_id for _, section_id in measures})
    InquiryResponse.objects.bulk_create([InquiryResponse(round=round_, section_id=pk) for pk in section_ids])
    record(
        actor=by,
        action="inquiry.created",
        obj=round_,
        changes={
            "title": [None, title],
            "reply_by": [None, reply_by.isoformat()],
            "measures": [None, len(measures)],
            "sections": [None, len(section_ids)],
        },
        comment=note or "",
    )
    return round_


def round_close(*, round, by) -> InquiryRound:
    """Close a round: answers uploaded afterwards are refused (the preview says since when). Once only."""
    with transaction.atomic():
        locked = InquiryRound.objects.select_for_update().get(pk=round.pk)
        access.allowed(by, "close_inquiry").check()
        if locked.closed_at is not None:
            raise ValidationError("この照会はすでに締め切られています。")
        locked.closed_at = timezone.now()
        locked.save(update_fields=["closed_at"])
        record(
            actor=by, action="inquiry.closed", obj=locked, changes={"closed_at": [None, locked.closed_at.isoformat()]}
        )
    return locked


# -- rounds: selectors ------------------------------------------------------------------------


def rounds_for(user):
    """The rounds a user may see: the office all of them, a section user those that include their section."""
    return InquiryRound.objects.for_user(user)


def round_of(user, pk) -> InquiryRound:
    """One round the user may see, or 404 (imports.access.round_for)."""
    return round_for(user, pk, queryset=InquiryRound.objects.select_related("created_by"))


def scope_section_ids(user) -> list[int] | None:
    """The sections whose rows a user sees inside a round: all (None) for the office, else their own."""
    if access.is_office(user):
        return None
    if access.is_section_user(user):
        return [user.section_id]
    return []


@dataclass
class SectionRow:
    """One section's place in a round (derived, never stored)."""

    section: Section
    response: InquiryResponse
    state: str = ResponseState.NOT_OPENED
    n_items: int = 0
    n_unreported: int = 0  # no report at all
    n_open: int = 0  # latest report still a draft or returned
    n_approved: int = 0  # latest report submitted (approved by the head) or accepted

    @property
    def state_label(self) -> str:
        return ResponseState(self.state).label


def _state(response, counts: dict, *, reply_by, today) -> str:
    if response.answered_at is None:
        if today > reply_by:
            return ResponseState.OVERDUE
        return ResponseState.DOWNLOADED if response.downloaded_at else ResponseState.NOT_OPENED
    # An item the answer left unchanged whose report the head had already approved counts as approved:
    # otherwise a section confirming already-approved content could never reach 課長承認済.
    if counts["n"] and counts["n_approved"] == counts["n"]:
        return ResponseState.APPROVED
    return ResponseState.ANSWERED


def _states_for(rounds, today, *, section_ids=None) -> dict[int, list[SectionRow]]:
    """Rows per round for many rounds in two queries (responses; item counts grouped by round × section)."""
    ids = [r.pk for r in rounds]
    responses = (
        InquiryResponse.objects.filter(round_id__in=ids)
        .select_related("section__bureau", "downloaded_by", "answered_by")
        .order_by("round_id", "section__bureau__order", "section__order", "section__name")
    )
    items = InquiryItem.objects.filter(round_id__in=ids)
    if section_ids is not None:
        responses = responses.filter(section_id__in=section_ids)
        items = items.filter(measure__section_id__in=section_ids)
    latest = MeasureReport.objects.filter(measure_id=OuterRef("measure_id")).order_by("-pk").values("state")[:1]
    grouped = (
        items.alias(latest=Subquery(latest))
        .values("round_id", "measure__section_id")
        .annotate(
            n=Count("pk"),
            n_unreported=Count("pk", filter=Q(latest__isnull=True)),
            n_open=Count("pk", filter=Q(latest__in=EDITABLE_STATES)),
            n_approved=Count("pk", filter=Q(latest__in=APPROVED_STATES)),
        )
        .order_by()
    )
    counts = {(g["round_id"], g["measure__section_id"]): g for g in grouped}
    by_pk = {r.pk: r for r in rounds}
    result: dict[int, list[SectionRow]] = {pk: [] for pk in ids}
    empty = {"n": 0, "n_unreported": 0, "n_open": 0, "n_approved": 0}
    for response in responses:
        c = counts.get((response.round_id, response.section_id), empty)
        result[response.round_id].append(
            SectionRow(
                section=response.section,
                response=response,
                state=_state(response, c, reply_by=by_pk[response.round_id].reply_by, today=today),
                n_items=c["n"],
                n_unreported=c["n_unreported"],
                n_open=c["n_open"],
                n_approved=c["n_approved"],
            )
        )
    return result


def section_states(round, today: datetime.date, *, section_ids=None) -> list[SectionRow]:
    """Per section of the round (organisation order): its ResponseState and item counts. Two queries
    whatever the number of sections and items. `section_ids` limits the rows (a section user's view)."""
    return _states_for([round], today, section_ids=section_ids)[round.pk]


@dataclass
class RoundSummary:
    round: InquiryRound
    rows: list[SectionRow]

    @property
    def n_sections(self) -> int:
        return len(self.rows)

    @property
    def n_items(self) -> int:
        return sum(r.n_items for r in self.rows)

    @property
    def by_state(self) -> list[tuple[str, int]]:
        counts = defaultdict(int)
        for row in self.rows:
            counts[row.state] += 1
        return [(s.label, counts[s.value]) for s in ResponseState if counts[s.value]]

    @property
    def own(self) -> SectionRow | None:
        return self.rows[0] if len(self.rows) == 1 else None


def round_list(user, rounds, today: datetime.date) -> list[RoundSummary]:
    """Summaries of the given (already scoped, e.g. one page of rounds_for(user)) rounds in two queries."""
    rounds = list(rounds)
    states = _states_for(rounds, today, section_ids=scope_section_ids(user))
    return [RoundSummary(round=r, rows=states[r.pk]) for r in rounds]


def section_items(round, *, section_ids=None) -> list[Measure]:
    """The round's measures (optionally of some sections), each with its reports and, as attributes,
    `open_report` (draft, submitted or returned), `latest_report` and `base_report` (what a workbook
    row shows and an upload compares with: the open draft/returned report, else the latest, else None)."""
    measures = (
        Measure.objects.filter(Exists(InquiryItem.objects.filter(round_id=round.pk, measure_id=OuterRef("pk"))))
        .select_related("finding__report", "section__bureau", "status")
        .prefetch_related(
            Prefetch(
                "reports",
                queryset=MeasureReport.objects.select_related("status", "last_edited_by").order_by("pk"),
            )
        )
    )
    if section_ids is not None:
        measures = measures.filter(section_id__in=section_ids)
    measures = list(
        measures.order_by("finding__report_id", "finding__order", "section__bureau__order", "section__order")
    )
    for m in measures:
        reports = list(m.reports.all())
        m.open_report = next((r for r in reports if r.state in OPEN_REPORT_STATES), None)
        m.latest_report = reports[-1] if reports else None
        m.base_report = m.open_report if m.open_report and m.open_report.state in EDITABLE_STATES else m.latest_report
    return measures


@dataclass
class RoundDetail:
    round: InquiryRound
    rows: list[SectionRow]  # the sections the user sees
    items: list[Measure]  # the measures the user sees
    own: SectionRow | None  # a section user's own row


def round_detail(user, pk, *, today: datetime.date | None = None) -> RoundDetail:
    """A round as the user may see it (404 otherwise): the office every section, a section user its own."""
    round_ = round_of(user, pk)
    scope = scope_section_ids(user)
    rows = section_states(round_, today or timezone.localdate(), section_ids=scope)
    own = None
    if access.is_section_user(user):
        own = next((r for r in rows if r.section.pk == user.section_id), None)
    return RoundDetail(round=round_, rows=rows, items=section_items(round_, section_ids=scope), own=own)


def response_of(round, section_id) -> InquiryResponse | None:
    if section_id is None:
        return None
    return InquiryResponse.objects.select_related("section__bureau").filter(round=round, section_id=section_id).first()


# -- the workbook -----------------------------------------------------------------------------

SHEET = "回答"
META = "_meta"
META_MARK = "auditreg-inquiry"
META_FORMAT = 1
ID_HEADER = "措置ID"
MAX_CELL = 32_000  # Excel holds at most 32,767 characters in a cell
ITEM_LABEL = "措置の報告"
STATUS_LIST_COLUMN = 12  # column L of _meta: the labels behind the status drop-down

# (key, header, input rule shown under the header, width). The first group is read-only.
# (widths in half-width characters: the visible columns print one A4 landscape page wide)
LOCKED = [
    ("id", ID_HEADER, "変更不可", 8),  # hidden: read back on upload, never shown or printed
    ("code", "番号", "", 8),
    ("title", "表題", "", 16),
    ("finding_text", "報告書の記載（① 検出事項 ② 問題点 ③ 指摘・意見）", "", 58),
    ("official", "措置状況（受理済）", "", 10),
    ("stage", "現在の報告", "", 11),
    ("comment", "監査事務局のコメント", "", 16),
]
EDITABLE = [
    ("status", "措置状況", "一覧から選ぶ・必須", 12),
    ("text", "措置（対応）の内容", "措置しない場合を除き必須", 58),
    ("completed_on", "措置年月日", "措置済のときだけ。例 2025/6/30", 12),
    ("planned_completion_on", "完了予定日", "任意。例 2026/3/31", 12),
    ("reason", "措置しない理由", "措置しないのときは必須", 18),
]
COLUMN_LABELS = {key: header for key, header, _, _ in LOCKED + EDITABLE} | {"reported_on": "報告日（時点）"}
FIELD_ORDER = ["status", "text", "completed_on", "planned_completion_on", "reason"]

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # what an xlsx cell cannot hold


def _clean_text(value) -> str:
    """The text as a cell holds it and as it is compared: line ends as \\n, no control characters,
    no surrounding blanks."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _ILLEGAL.sub("", text).strip()


def finding_text(finding) -> str:
    parts = [
        ("① 検出事項", finding.detected),
        ("② 問題点", finding.problem),
        (f"③ {finding.code}", finding.recommendation),
    ]
    if finding.blocks:  # a report not laid out as ①②③: its own labelled blocks
        parts = [(b["label"], b["text"]) for b in finding.text_blocks()]
    text = "\n\n".join(f"{head}\n{body.strip()}" for head, body in parts if (body or "").strip())
    text = _clean_text(text)
    return text if len(text) <= MAX_CELL else text[:MAX_CELL] + "…（以下略）"


def _report_values(report) -> dict:
    if report is None:
        return {"status": None, "text": "", "completed_on": None, "planned_completion_on": None, "reason": ""}
    return {
        "status": report.status_id,
        "text": _clean_text(report.text),
        "completed_on": report.completed_on,
        "planned_completion_on": report.planned_completion_on,
        "reason": _clean_text(report.reason),
    }


def _stage_label(measure) -> str:
    report = measure.open_report or measure.latest_report
    return report.get_state_display() if report else "未作成"


def _snapshot(measure) -> list:
    """What a workbook row was made from: [open report id, its version, latest report id]."""
    open_report = measure.open_report
    return [
        open_report.pk if open_report else None,
        open_report.version if open_report else None,
        measure.latest_report.pk if measure.latest_report else None,
    ]


def report_statuses() -> list[MeasureStatus]:
    """The statuses a report may take (not 未着手), in their order."""
    return list(MeasureStatus.objects.exclude(code=StatusCode.NOT_STARTED).order_by("order"))


@transaction.atomic
def section_workbook(*, round, section, by) -> bytes:
    """The section's answer workbook. A section user's first download is recorded on its response;
    an office user may download any section's workbook for support without marking it downloaded;
    `by=None` (the export_inquiry command) records nothing."""
    response = InquiryResponse.objects.select_for_update().filter(round=round, section=section).first()
    if response is None:
        raise PermissionDenied("この課はこの照会の対象ではありません。")
    own = by is not None and access.is_section_user(by) and by.section_id == section.pk
    if by is not None and not (own or access.is_office(by)):
        raise PermissionDenied("他の課の回答様式はダウンロードできません。")
    now = timezone.now()
    content = _render_workbook(round, section, section_items(round, section_ids=[section.pk]), now)
    if own and response.downloaded_at is None:
        response.downloaded_at, response.downloaded_by = now, by
        response.save(update_fields=["downloaded_at", "downloaded_by"])
        record(actor=by, action="inquiry.downloaded", obj=response, changes={"downloaded_at": [None, now.isoformat()]})
    return content


def _set(ws, row, col, value, *, style=None):
    """One cell, styled with an auditreg.xlsx.Style."""
    if isinstance(value, str):
        value = _ILLEGAL.sub("", value)  # control characters cannot be stored in a cell
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text that looks like a formula stays text
    if style:
        style.apply(cell)
    return cell


def _line(ws, row, text, *, style, width, columns):
    """A heading line across the visible columns, wrapped, as tall as its text."""
    from auditreg import xlsx

    _set(ws, row, 2, text, style=style)
    ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=columns)
    height = xlsx.row_height([text], [xlsx.chars_per_line(width)], size=style.font.sz or xlsx.FONT_SIZE)
    ws.row_dimensions[row].height = max(height or 0, (style.font.sz or xlsx.FONT_SIZE) * xlsx.LINE_HEIGHT + 4)


def _render_workbook(round, section, measures, now) -> bytes:
    from openpyxl.utils import get_column_letter
    from openpyxl.workbook.protection import WorkbookProtection

    from auditreg import xlsx

    wb = xlsx.new_workbook()
    ws = wb.active
    ws.title = SHEET
    statuses = report_statuses()
    columns = LOCKED + EDITABLE
    widths = [width for _, _, _, width in columns]
    shown = sum(widths[1:])  # column A (措置ID) is hidden
    # the lines above the table start in column B, beside the hidden 措置ID, and wrap across the table
    _line(ws, 1, f"照会：{round.title}", style=xlsx.TITLE, width=shown, columns=len(columns))
    _line(
        ws,
        2,
        f"{section.bureau.name} {section.name}　回答期限：{format_date(round.reply_by)}",
        style=xlsx.NOTE,
        width=shown,
        columns=len(columns),
    )
    rules = (
        "黄色の列だけを入力してください（灰色の列は変更しても取り込まれません）。措置状況は一覧から選び、"
        "日付は 2025/6/30 の形で入力します。行の追加・削除・並べ替えはしないでください。"
        "アップロードすると下書きになり、課長の承認を経て監査事務局へ提出されます。"
    )
    _line(ws, 3, rules, style=xlsx.NOTE, width=shown, columns=len(columns))
    if round.note:
        _line(
            ws, 4, f"依頼文：{_clean_text(round.note)[:MAX_CELL]}", style=xlsx.NOTE, width=shown, columns=len(columns)
        )
    head_row = 5
    # the report's own text (up to about 900 characters) prints in 9 pt so that a row holds it
    sizes = [9 if key == "finding_text" else xlsx.FONT_SIZE for key, *_ in columns]
    per_line = [xlsx.chars_per_line(w, size) for w, size in zip(widths, sizes, strict=True)]
    labels = [f"{label}\n（{rule}）" if rule else label for _, label, rule, _ in columns]
    for c, text in enumerate(labels, start=1):
        _set(ws, head_row, c, text, style=xlsx.HEAD)
    ws.row_dimensions[head_row].height = xlsx.row_height(labels, [xlsx.chars_per_line(w) for w in widths])
    for r, m in enumerate(measures, start=head_row + 1):
        report = m.base_report
        comment = m.open_report.review_comment if m.open_report and m.open_report.state == ReportState.RETURNED else ""
        locked_values = [m.pk, m.finding.code, m.finding.title, finding_text(m.finding), m.status.label]
        locked_values += [_stage_label(m), _clean_text(comment)]
        for c, value in enumerate(locked_values, start=1):
            _set(ws, r, c, value, style=xlsx.LOCKED_SMALL if sizes[c - 1] == 9 else xlsx.LOCKED)
        values = _report_values(report)
        status_label = report.status.label if report else None
        editable_values = [status_label, values["text"], values["completed_on"]]
        editable_values += [values["planned_completion_on"], values["reason"]]
        for c, value in enumerate(editable_values, start=len(LOCKED) + 1):
            is_date = FIELD_ORDER[c - len(LOCKED) - 1].endswith("_on")
            _set(ws, r, c, value, style=xlsx.INPUT_DATE if is_date else xlsx.INPUT)
        # as tall as the longest text (Excel's limit: 409 points, about 800 characters in the widest columns)
        shown = [*locked_values[1:], *editable_values]
        ws.row_dimensions[r].height = xlsx.row_height(shown, per_line[1:], sizes=sizes[1:])
    last = head_row + max(len(measures), 1)
    _validations(ws, statuses, first=head_row + 1, last=last)
    ws.freeze_panes = ws.cell(row=head_row + 1, column=3)
    xlsx.print_setup(
        ws, widths=widths, title_rows=f"{head_row}:{head_row}", header=f"照会：{round.title}　{section.name}"
    )
    # the internal id stays in column A, where the upload reads it, but neither shows nor prints
    ws.column_dimensions[get_column_letter(1)].hidden = True
    # Sheet protection guides the person filling in the workbook; it is not a security control, so no
    # password: the server re-checks everything on upload (round, section, every row's measure, the
    # editable columns only) and ignores whatever is typed into the locked columns.
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # widths and heights may still be changed
    ws.protection.formatRows = False
    _meta_sheet(wb, round, section, measures, statuses, now)
    wb.security = WorkbookProtection(lockStructure=True)  # no renaming, adding or unhiding sheets
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _validations(ws, statuses, *, first, last):
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    status_col = get_column_letter(len(LOCKED) + 1)
    letter = get_column_letter(STATUS_LIST_COLUMN)
    status_list = DataValidation(
        type="list",
        formula1=f"'{META}'!${letter}$2:${letter}${1 + len(statuses)}",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="措置状況",
        error="一覧の中から選んでください: " + "、".join(s.label for s in statuses),
    )
    status_list.add(f"{status_col}{first}:{status_col}{last}")
    ws.add_data_validation(status_list)
    dates = DataValidation(
        type="date",
        operator="between",
        formula1=f"DATE({EARLIEST.year},{EARLIEST.month},{EARLIEST.day})",
        formula2=f"DATE({LATEST.year},{LATEST.month},{LATEST.day})",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="日付",
        error="日付を 2025/6/30 の形で入力してください。",
    )
    for key in ("completed_on", "planned_completion_on"):
        col = get_column_letter(len(LOCKED) + 1 + FIELD_ORDER.index(key))
        dates.add(f"{col}{first}:{col}{last}")
    ws.add_data_validation(dates)


def _meta_sheet(wb, round, section, measures, statuses, now):
    meta = wb.create_sheet(META)
    meta.append([META_MARK, META_FORMAT])
    meta.append(["round", round.pk])
    meta.append(["section", section.pk])
    meta.append(["generated_at", now.isoformat()])
    meta.append(["rows", len(measures)])
    meta.append([])
    # per row: the reports it was made from and the values it showed (to tell a row the person left as
    # it was from one they changed, when someone else updated the report after the download)
    meta.append(["measure", "open_report", "open_version", "latest_report", *FIELD_ORDER])
    for r, m in enumerate(measures, start=meta.max_row + 1):
        values = _report_values(m.base_report)
        values["status"] = m.base_report.status.label if m.base_report else None
        for c, value in enumerate([m.pk, *_snapshot(m), *(values[k] for k in FIELD_ORDER)], start=1):
            _set(meta, r, c, value)
    meta.cell(row=1, column=STATUS_LIST_COLUMN, value="措置状況")
    for i, s in enumerate(statuses, start=2):
        _set(meta, i, STATUS_LIST_COLUMN, s.label)
    meta.sheet_state = "veryHidden"  # not listed under 再表示 in Excel
    meta.protection.sheet = True


# -- the upload handler -----------------------------------------------------------------------


@dataclass
class Meta:
    round_id: int | None = None
    section_id: int | None = None
    generated_at: datetime.datetime | None = None
    rows: dict[int, list] = field(default_factory=dict)  # measure id -> snapshot
    values: dict[int, dict] = field(default_factory=dict)  # measure id -> the values the row showed


@dataclass
class Row:
    number: int  # the sheet's row number
    measure_id: int | None
    values: dict  # status (MeasureStatus or None), text, completed_on, planned_completion_on, reason
    locked: dict  # code, title, finding_text as found in the file
    ok: bool = True


def _place(row_number) -> str:
    return f"{SHEET}シート {row_number}行目"


def _column(key: str, index: dict) -> str:
    from openpyxl.utils import get_column_letter

    label = COLUMN_LABELS.get(key, key)
    return f"{label}（{get_column_letter(index[key] + 1)}列）" if key in index else label


def _as_int(value) -> int | None:
    """An id cell as an int the database can look up (a 64-bit key), else None (reported as not an id)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(value.strip()) <= 18:
        value = int(value.strip())
    if isinstance(value, int) and -(2**63) <= value < 2**63:
        return value
    return None


def parse_date(value) -> tuple[datetime.date | None, str | None]:
    """A date cell, or text such as 2025/6/30, 2025-06-30, 令和7年6月30日, R7.6.30; (date, error)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, datetime.datetime):
        day = value.date()
    elif isinstance(value, datetime.date):
        day = value
    elif isinstance(value, str):
        try:  # the one era-checked reader (平成35年, 令和1年4月1日 are refused)
            day = wareki.parse_date(value[:60])
        except wareki.DateParseError as exc:
            return None, str(exc)
    else:
        return None, f"日付として読めません（{value!r:.30}）。2025/6/30 の形で入力してください。"
    if not EARLIEST <= day <= LATEST:
        return None, f"{EARLIEST.year}年〜{LATEST.year}年の日付を入力してください。"
    return day, None


class InquiryHandler:
    """The pipeline handler of an inquiry answer (see imports.pipeline for the contract)."""

    kind = BatchKind.INQUIRY
    accepts = ("xlsx",)
    # a section's answer: two sheets of a few dozen rows and about fifteen columns, far below these
    limits = WorkbookLimits(unpacked_bytes=10 * 1024 * 1024, sheets=10, rows=10_000, columns=60, cells=100_000)

    # -- the data an answer may change

    def _own_measure_ids(self, batch) -> list[int]:
        return list(
            InquiryItem.objects.filter(round_id=batch.round_id, measure__section_id=batch.section_id)
            .order_by("measure_id")
            .values_list("measure_id", flat=True)
        )

    def lock(self, batch) -> None:
        ids = self._own_measure_ids(batch)
        list(Measure.objects.select_for_update().filter(pk__in=ids).values_list("pk", flat=True))
        list(
            MeasureReport.objects.select_for_update()
            .filter(measure_id__in=ids, state__in=OPEN_REPORT_STATES)
            .values_list("pk", flat=True)
        )

    def fingerprint(self, batch) -> str:
        ids = self._own_measure_ids(batch)
        state = {pk: [None, None, None, None] for pk in ids}  # open id, version, state, latest id
        reports = MeasureReport.objects.filter(measure_id__in=ids).order_by("pk")
        for measure_id, pk, version, report_state in reports.values_list("measure_id", "pk", "version", "state"):
            entry = state[measure_id]
            if report_state in OPEN_REPORT_STATES:
                entry[0:3] = [pk, version, report_state]
            entry[3] = pk
        payload = json.dumps([batch.round_id, batch.section_id, sorted(state.items())], default=str)
        return hashlib.sha256(payload.encode()).hexdigest()

    # -- the run

    def run(self, batch, by) -> Plan:
        plan = Plan(summary={ITEM_LABEL: {"created": 0, "updated": 0, "unchanged": 0, "deleted": 0}})
        response = self._check_uploader(batch, by, plan)
        if response is None:
            return plan
        try:
            sheets = read_workbook_values(batch.content, limits=self.limits)
        except UploadRefused as exc:
            plan.problems.append(["ファイル", "", str(exc)])
            return plan
        statuses = {s.label: s for s in report_statuses()}
        meta = self._read_meta(sheets, batch, statuses, plan)
        if meta is None:
            return plan
        parsed = self._read_rows(sheets[SHEET], statuses, plan)
        if parsed is None:
            return plan
        rows, index = parsed
        measures = {m.pk: m for m in section_items(batch.round, section_ids=[batch.section_id])}
        rows = self._check_rows(rows, batch, measures, plan)
        self._check_locked(rows, measures, index, plan)
        self._apply(rows, measures, meta, batch, by, index, plan)
        if not plan.problems:
            now = timezone.now()
            response.answered_at, response.answered_by = now, by
            response.save(update_fields=["answered_at", "answered_by"])
            record(
                actor=by,
                action="inquiry.answered",
                obj=response,
                changes={k: [None, v] for k, v in plan.summary[ITEM_LABEL].items()},
                comment=batch.filename,
            )
        return plan

    def _check_uploader(self, batch, by, plan) -> InquiryResponse | None:
        round_ = batch.round
        if round_ is None or batch.section_id is None:
            plan.problems.append(["照会", "", "照会と課を指定してください。"])
            return None
        if round_.closed_at is not None:
            closed = format_date(timezone.localtime(round_.closed_at))
            plan.problems.append(["照会", "", f"この照会は{closed}に締め切られています。"])
            return None
        if not (access.is_section_user(by) and by.section_id == batch.section_id):
            plan.problems.append(["照会", "", "回答をアップロードできるのは、その課の担当・課長です。"])
            return None
        response = InquiryResponse.objects.filter(round_id=round_.pk, section_id=batch.section_id).first()
        if response is None:
            plan.problems.append(["照会", "", "この課はこの照会の対象ではありません。"])
        return response

    def _read_meta(self, sheets, batch, statuses, plan) -> Meta | None:
        sheet = sheets.get(META)
        if sheet is None or SHEET not in sheets or not sheet.rows or sheet.rows[0][:1] != [META_MARK]:
            plan.problems.append(
                ["ファイル", "", "照会の回答様式ではありません。照会の画面からダウンロードした様式に入力してください。"]
            )
            return None
        meta = Meta()
        table = False
        for row in sheet.rows[1:]:
            row = list(row) + [None] * 9
            if row[0] == "measure":
                table = True
            elif table and _as_int(row[0]) is not None:
                meta.rows[_as_int(row[0])] = [_as_int(v) for v in row[1:4]]
                meta.values[_as_int(row[0])] = _meta_values(row[4:9], statuses)
            elif row[0] in ("round", "section"):
                setattr(meta, f"{row[0]}_id", _as_int(row[1]))
            elif row[0] == "generated_at" and isinstance(row[1], str):
                try:
                    generated_at = datetime.datetime.fromisoformat(row[1])
                except ValueError:
                    continue
                if timezone.is_naive(generated_at):
                    generated_at = timezone.make_aware(generated_at, datetime.UTC)
                meta.generated_at = generated_at
        if meta.round_id != batch.round_id:
            plan.problems.append(
                [
                    "ファイル",
                    "",
                    f"別の照会の回答様式です（照会番号 {meta.round_id}）。この照会の様式を使ってください。",
                ]
            )
            return None
        if meta.section_id != batch.section_id:  # never which section it is: the file may name any id
            plan.problems.append(
                ["ファイル", "", "他の課の回答様式です。自課の様式をダウンロードして入力してください。"]
            )
            return None
        return meta

    def _header(self, sheet, plan) -> tuple[int, dict] | None:
        for r, row in enumerate(sheet.rows[:15]):
            if row and isinstance(row[0], str) and row[0].split("\n")[0].strip() == ID_HEADER:
                names = [str(v).split("\n")[0].strip() for v in row if v is not None]
                labels = {str(v).split("\n")[0].strip(): c for c, v in enumerate(row) if v is not None}
                index = {key: labels[label] for key, label, _, _ in LOCKED + EDITABLE if label in labels}
                missing = [label for key, label, _, _ in EDITABLE if key not in index]
                for label in missing:
                    plan.problems.append([f"{SHEET}シート {r + 1}行目", label, "この列が見つかりません。"])
                twice = sorted({n for n in names if names.count(n) > 1 and n in labels})
                for label in twice:  # which of the two would be the answer is anybody's guess: refuse
                    plan.problems.append([f"{SHEET}シート {r + 1}行目", label, "同じ見出しの列が複数あります。"])
                return None if missing or twice else (r, index)
        plan.problems.append([f"{SHEET}シート", ID_HEADER, "見出しの行（措置ID …）が見つかりません。"])
        return None

    def _read_rows(self, sheet, statuses, plan) -> tuple[list[Row], dict] | None:
        header = self._header(sheet, plan)
        if header is None:
            return None
        head, index = header
        formulas = set(sheet.formulas)
        no_value = set(sheet.formulas_without_value)
        rows = []
        for r, raw in enumerate(sheet.rows[head + 1 :], start=head + 2):
            cells = list(raw) + [None] * (max(index.values()) + 1 - len(raw))
            if not any(v is not None and str(v).strip() for v in cells):
                continue
            row = Row(number=r, measure_id=_as_int(cells[index["id"]]) if "id" in index else None, values={}, locked={})
            for key in ("code", "title", "finding_text"):
                row.locked[key] = cells[index[key]] if key in index else None
            for key in FIELD_ORDER:
                self._read_cell(row, key, cells[index[key]], index, formulas, no_value, statuses, plan)
            if row.measure_id is None:
                plan.problems.append(
                    [_place(r), _column("id", index), "措置IDが読めません（行を追加しないでください）。"]
                )
                row.ok = False
            rows.append(row)
        if not rows:
            plan.problems.append([f"{SHEET}シート", "", "回答の行がありません。"])
        return rows, index

    def _read_cell(self, row, key, value, index, formulas, no_value, statuses, plan):
        from openpyxl.utils import get_column_letter

        address = f"{get_column_letter(index[key] + 1)}{row.number}"
        place, column = _place(row.number), _column(key, index)
        if address in no_value:
            plan.problems.append(
                [
                    place,
                    column,
                    f"{address} は計算されていない数式です。値を入力するか、Excel で開いて保存し直してください。",
                ]
            )
            row.ok = False
            return
        if address in formulas:
            plan.warnings.append([place, column, f"{address} は数式です。Excel が保存した計算結果を取り込みます。"])
        if key == "status":
            label = _clean_text(value)
            row.values[key] = statuses.get(label) if label else None
            if label and label not in statuses:
                allowed = "、".join(statuses)
                plan.problems.append([place, column, f"「{label[:40]}」は措置状況にありません（{allowed} から選ぶ）。"])
                row.ok = False
        elif key.endswith("_on"):
            day, error = parse_date(value)
            row.values[key] = day
            if error:
                plan.problems.append([place, column, error])
                row.ok = False
        else:
            if isinstance(value, (datetime.date, datetime.datetime)):
                value = value.date().isoformat() if isinstance(value, datetime.datetime) else value.isoformat()
            row.values[key] = _clean_text(value)

    def _check_rows(self, rows, batch, measures, plan) -> list[Row]:
        """Every row's measure must be an item of this round and of the uploader's section, once."""
        seen = {}
        for row in rows:
            if row.measure_id is None:
                continue
            if row.measure_id not in measures:  # one message whatever the id is: no other section's id confirmed
                plan.problems.append(
                    [_place(row.number), "", f"この照会の対象ではありません（措置ID {row.measure_id}）。"]
                )
                row.ok = False
            elif row.measure_id in seen:
                plan.problems.append(
                    [
                        _place(row.number),
                        "",
                        f"同じ措置（{measures[row.measure_id].finding.code}）の行が二つあります"
                        f"（{seen[row.measure_id]}行目と重複）。",
                    ]
                )
                row.ok = False
            else:
                seen[row.measure_id] = row.number
        for pk, m in measures.items():
            if pk not in seen:
                plan.warnings.append(
                    [f"{SHEET}シート", "", f"{m.finding.code} の行がありません（この措置は回答されていません）。"]
                )
        return rows

    def _check_locked(self, rows, measures, index, plan):
        for row in rows:
            m = measures.get(row.measure_id)
            if m is None or not row.ok:
                continue
            expected = {"code": m.finding.code, "title": m.finding.title, "finding_text": finding_text(m.finding)}
            for key, value in expected.items():
                if key in index and _clean_text(row.locked[key]) != _clean_text(value):
                    plan.warnings.append(
                        [
                            _place(row.number),
                            _column(key, index),
                            "この列は変更できません。変更は取り込まれません（報告書の記載はそのままです）。",
                        ]
                    )

    def _edited_by_others(self, measures, meta, by) -> dict[int, ChangeLog | None]:
        """Reports someone else wrote after the workbook was made: measure id -> that change (None: the
        workbook does not say when it was made, so every changed report counts as someone else's)."""
        if meta.generated_at is None:
            return dict.fromkeys(measures)
        report_to_measure = {r.pk: m.pk for m in measures.values() for r in m.reports.all()}
        entries = (
            ChangeLog.objects.filter(
                object_type=MeasureReport._meta.label_lower,
                object_id__in=list(report_to_measure),
                action__in=["report.created", "report.edited"],
                at__gt=meta.generated_at,
            )
            .exclude(actor=by)
            .select_related("actor")
            .order_by("at", "pk")
        )
        return {report_to_measure[e.object_id]: e for e in entries}

    def _apply(self, rows, measures, meta, batch, by, index, plan):
        stats = plan.summary[ITEM_LABEL]
        reported_on = timezone.localdate(batch.uploaded_at)
        others = None
        for row in rows:
            if not row.ok:
                continue
            m = measures[row.measure_id]
            current = _report_values(m.base_report)
            new = {k: (v.pk if k == "status" and v is not None else v) for k, v in row.values.items()}
            if new == current:
                stats["unchanged"] += 1
                continue
            if m.base_report is None and not any(new.values()):
                stats["unchanged"] += 1
                continue
            snapshot = meta.rows.get(m.pk)
            if snapshot is not None and snapshot != _snapshot(m) and new == meta.values.get(m.pk):
                # left as downloaded, while the report changed since: keep the report as it is now
                stats["unchanged"] += 1
                plan.warnings.append(
                    [
                        _place(row.number),
                        "",
                        "様式をダウンロードした後に報告が更新されています。この行は変更されていないため、"
                        "現在の報告のままにします。",
                    ]
                )
                continue
            if snapshot is not None and snapshot != _snapshot(m):
                others = self._edited_by_others(measures, meta, by) if others is None else others
                if m.pk in others:
                    plan.problems.append([_place(row.number), "", _stale_message(others[m.pk])])
                    continue
            if row.values["status"] is None:
                plan.problems.append([_place(row.number), _column("status", index), "措置状況を選んでください。"])
                continue
            self._save(row, m, by, reported_on, index, plan)

    def _save(self, row, measure, by, reported_on, index, plan):
        before = measure.base_report
        values = dict(row.values, reported_on=reported_on)
        open_report = measure.open_report
        try:
            report = finding_services.report_save_draft(
                measure=measure, by=by, values=values, version=open_report.version if open_report else None
            )
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                column = _column(key, index) if key in COLUMN_LABELS else ""
                for message in messages:
                    plan.problems.append([_place(row.number), column, message])
            return
        except finding_services.StaleEdit as exc:
            plan.problems.append([_place(row.number), "", f"{exc} 最新の様式をダウンロードし直して入力してください。"])
            return
        except (finding_services.WorkflowError, PermissionDenied) as exc:
            plan.problems.append([_place(row.number), "", str(exc) or "この措置は編集できません。"])
            return
        created = open_report is None or open_report.pk != report.pk
        plan.summary[ITEM_LABEL]["created" if created else "updated"] += 1
        key = f"{measure.finding.code} / {measure.section.name}"
        # old = what the row showed (the open report, or the latest report a new one follows), so that the
        # preview lists exactly what this answer changes
        old = {k: getattr(before, k) for k in [*FIELD_ORDER, "reported_on"]} if before is not None else {}
        for name in [*FIELD_ORDER, "reported_on"]:
            was, now = _shown(old.get(name)), _shown(getattr(report, name))
            if was != now:
                plan.changes.append([ITEM_LABEL, key, COLUMN_LABELS[name], was, now])


def _stale_message(entry) -> str:
    who = f"{entry.actor.display_name} さんが" if entry is not None and entry.actor else "他の人が"
    when = f"（{timezone.localtime(entry.at):%Y-%m-%d %H:%M}）" if entry is not None else ""
    return (
        f"様式をダウンロードした後に {who}この報告を更新しました{when}。"
        "最新の様式をダウンロードし直して入力してください。"
    )


def _meta_values(cells, statuses) -> dict:
    """The values a row showed at download, normalised as an uploaded row is."""
    status_label, text, completed_on, planned_completion_on, reason = cells
    status = statuses.get(_clean_text(status_label)) if status_label else None
    return {
        "status": status.pk if status else None,
        "text": _clean_text(text),
        "completed_on": parse_date(completed_on)[0],
        "planned_completion_on": parse_date(planned_completion_on)[0],
        "reason": _clean_text(reason),
    }


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, MeasureStatus):
        return value.label
    if isinstance(value, datetime.date):
        return format_date(value)
    return str(value)
