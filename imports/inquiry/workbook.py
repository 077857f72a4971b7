"""The section's answer workbook (service: the first download is recorded) and its rendering."""

import copy
import dataclasses
import io

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation

from auditreg import access, xlsx
from auditreg.changelog import record
from auditreg.wareki import EARLIEST, LATEST
from findings.choices import ReportState

from ..models import InquiryResponse
from . import printsheet
from .layout import (
    _ILLEGAL,
    EDITABLE,
    FIELD_ORDER,
    LOCKED,
    MAX_CELL,
    META,
    META_FORMAT,
    META_MARK,
    SHEET,
    STATUS_LIST_COLUMN,
    _clean_text,
    _report_values,
    _snapshot,
    _stage_label,
    finding_text,
    report_statuses,
)
from .printsheet import WAREKI_FORMAT
from .selectors import section_items


@transaction.atomic
def section_workbook(*, inquiry_round, section, by) -> bytes:
    """The section's answer workbook. A section user's first download is recorded on its response;
    an office user may download any section's workbook for support without marking it downloaded;
    `by=None` (the export_inquiry command) records nothing."""
    response = InquiryResponse.objects.select_for_update().filter(round=inquiry_round, section=section).first()
    if response is None:
        raise PermissionDenied("この課はこの照会の対象ではありません。")
    own = by is not None and access.is_section_user(by) and by.section_id == section.pk
    if by is not None and not (own or access.sees_all(by)):
        raise PermissionDenied("他の課の回答様式はダウンロードできません。")
    now = timezone.now()
    content = _render_workbook(inquiry_round, section, section_items(inquiry_round, section_ids=[section.pk]), now)
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
    _set(ws, row, 2, text, style=style)
    ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=columns)
    height = xlsx.row_height([text], [xlsx.chars_per_line(width)], size=style.font.sz or xlsx.FONT_SIZE)
    ws.row_dimensions[row].height = max(height or 0, (style.font.sz or xlsx.FONT_SIZE) * xlsx.LINE_HEIGHT + 4)


def _render_workbook(inquiry_round, section, measures, now) -> bytes:
    wb = xlsx.new_workbook()
    ws = wb.active
    ws.title = SHEET
    statuses = report_statuses()
    columns = LOCKED + EDITABLE
    widths = [width for _, _, _, width in columns]
    shown = sum(widths[1:])  # column A (措置ID) is hidden
    # the lines above the table start in column B, beside the hidden 措置ID, and wrap across the table
    _line(ws, 1, f"照会：{inquiry_round.title}", style=xlsx.TITLE, width=shown, columns=len(columns))
    # the reply-by date is a date cell shown as 和暦 (WAREKI_FORMAT), beside the section's name
    _set(ws, 2, 2, "回答期限", style=xlsx.STRONG)
    ws.merge_cells(start_row=2, start_column=2, end_row=2, end_column=3)
    _set(ws, 2, 4, inquiry_round.reply_by, style=_DUE)
    section_line = f"{section.bureau.name} {section.name}"
    _set(ws, 2, 5, section_line, style=xlsx.LINE)
    ws.merge_cells(start_row=2, start_column=5, end_row=2, end_column=len(columns))
    rules = (
        "黄色の列だけを入力してください（灰色の列は変更しても取り込まれません）。措置状況は一覧から選び、"
        "日付は 2025/6/30 の形で入力します。行の追加・削除・並べ替えはしないでください。"
        "アップロードすると下書きになり、課長の承認を経て監査事務局へ提出されます。"
        "印刷は「印刷用」シートから（この表の入力がそのまま全文印刷されます）。"
    )
    _line(ws, 3, rules, style=xlsx.NOTE, width=shown, columns=len(columns))
    if inquiry_round.note:
        _line(
            ws,
            4,
            f"依頼文：{_clean_text(inquiry_round.note)[:MAX_CELL]}",
            style=xlsx.NOTE,
            width=shown,
            columns=len(columns),
        )
    head_row = 5
    # the report's own text (up to about 900 characters) prints in 9 pt so that a row holds it
    sizes = [9 if key == "finding_text" else xlsx.FONT_SIZE for key, *_ in columns]
    labels = [f"{label}\n（{rule}）" if rule else label for _, label, rule, _ in columns]
    for c, text in enumerate(labels, start=1):
        _set(ws, head_row, c, text, style=xlsx.HEAD)
    ws.row_dimensions[head_row].height = xlsx.row_height(labels, [xlsx.chars_per_line(w) for w in widths])
    entries = [_write_measure(ws, r, m, widths, sizes) for r, m in enumerate(measures, start=head_row + 1)]
    last = max(head_row + len(measures), head_row + 1)
    _validations(ws, statuses, first=head_row + 1, last=last)
    ws.freeze_panes = ws.cell(row=head_row + 1, column=3)
    header = f"照会：{inquiry_round.title}　{section.name}"
    xlsx.print_setup(ws, widths=widths, header=header)
    # the table prints from the 印刷用 sheet (whole, and as edited); printed, this sheet gives its heading lines
    ws.print_area = f"B1:{get_column_letter(len(columns))}{head_row - 1}"
    # the internal id stays in column A, where the upload reads it, but neither shows nor prints
    ws.column_dimensions[get_column_letter(1)].hidden = True
    # Sheet protection guides the person filling in the workbook; it is not a security control, so no
    # password: the server re-checks everything on upload (round, section, every row's measure, the
    # editable columns only) and ignores whatever is typed into the locked columns.
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # widths and heights may still be changed
    ws.protection.formatRows = False
    printsheet.build(
        wb,
        title=inquiry_round.title,
        section_line=section_line,
        reply_by=inquiry_round.reply_by,
        header=header,
        entries=entries,
    )
    _meta_sheet(wb, inquiry_round, section, measures, statuses, now)
    wb.security = WorkbookProtection(lockStructure=True)  # no renaming, adding or unhiding sheets
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


MIN_FONT_SIZE = 6  # the smallest a long text shows on the 回答 sheet (about 2,600 characters in the widest columns)
_DUE = xlsx.Style(font=xlsx.BOLD_FONT, border=False, align=Alignment(horizontal="left"), number_format=WAREKI_FORMAT)
_INPUT_DATE = dataclasses.replace(xlsx.INPUT_DATE, number_format=WAREKI_FORMAT)  # typed 2025/6/30, shown 令和7年6月30日


def _write_measure(ws, r, m, widths, sizes) -> dict:
    """One measure's row, one row whatever the length of its texts; returns its values by column key (for the
    印刷用 sheet). The cells hold every text whole (the answer is what the upload reads); on screen a row is as
    tall as its longest text, and a text taller than Excel's tallest row (409 points) shows smaller, down to
    MIN_FONT_SIZE, beyond which the row shows its start (the 印刷用 sheet prints it whole)."""
    report = m.base_report
    comment = m.open_report.review_comment if m.open_report and m.open_report.state == ReportState.RETURNED else ""
    values = [m.pk, m.finding.code, m.finding.title, finding_text(m.finding), m.status.label]
    values += [_stage_label(m), _clean_text(comment)]
    answer = _report_values(report)
    values += [report.status.label if report else None, answer["text"], answer["completed_on"]]
    values += [answer["planned_completion_on"], answer["reason"]]
    fitted = [_fitted_size(v, w, pt) for v, w, pt in zip(values, widths, sizes, strict=True)]
    for c, value in enumerate(values, start=1):
        if c <= len(LOCKED):
            base = xlsx.LOCKED_SMALL if sizes[c - 1] == 9 else xlsx.LOCKED
        else:
            base = _INPUT_DATE if FIELD_ORDER[c - len(LOCKED) - 1].endswith("_on") else xlsx.INPUT
        _set(ws, r, c, value, style=_sized(base, fitted[c - 1]))
    # as tall as the longest text (the hidden 措置ID aside)
    needed = max(
        [_text_height(v, w, pt) for v, w, pt in zip(values[1:], widths[1:], fitted[1:], strict=True)], default=0.0
    )
    if needed > xlsx.FONT_SIZE * xlsx.LINE_HEIGHT + xlsx.ROW_PADDING:  # more than one line: set the height
        ws.row_dimensions[r].height = min(needed, xlsx.MAX_ROW_HEIGHT)
    shown = [_ILLEGAL.sub("", v) if isinstance(v, str) else v for v in values]
    return {"row": r} | {key: value for (key, *_), value in zip(LOCKED + EDITABLE, shown, strict=True)}


def _text_height(value, width, size) -> float:
    """Points a wrapped text needs in a column `width` wide at `size` pt (0 for no text)."""
    if not isinstance(value, str) or not value:
        return 0.0
    return xlsx.line_count(value, xlsx.chars_per_line(width, size)) * size * xlsx.LINE_HEIGHT + xlsx.ROW_PADDING


def _fitted_size(value, width, size):
    """The largest font size, from `size` down to MIN_FONT_SIZE, at which `value` fits in Excel's tallest row."""
    while size > MIN_FONT_SIZE and _text_height(value, width, size) > xlsx.MAX_ROW_HEIGHT:
        size -= 1
    return size


_SIZED: dict[tuple[int, float], xlsx.Style] = {}


def _sized(style: xlsx.Style, size) -> xlsx.Style:
    """`style` at another font size (one Style per style and size, as auditreg.xlsx compares them by identity)."""
    if size == (style.font.sz or xlsx.FONT_SIZE):
        return style
    key = (id(style), size)
    if key not in _SIZED:
        _SIZED[key] = dataclasses.replace(style, font=copy.copy(style.font))
        _SIZED[key].font.sz = size
    return _SIZED[key]


def _validations(ws, statuses, *, first, last):
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


def _meta_sheet(wb, inquiry_round, section, measures, statuses, now):
    meta = wb.create_sheet(META)
    meta.append([META_MARK, META_FORMAT])
    meta.append(["round", inquiry_round.pk])
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
