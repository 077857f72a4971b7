"""Inquiry rounds (照会): the audit office asks sections to report on chosen measures by a date.

Each section downloads a workbook pre-filled with its own measures, fills in the measure columns and
uploads it back. The upload goes through the import pipeline (imports.pipeline: stage → preview →
confirm) with handler.InquiryHandler, which writes every changed row through
findings.services.report_save_draft: the very service the measure page uses, so an answer lands as
a draft for the section head to approve, with the same validation, permissions, change log and the
指摘01 rule (whoever drafted or edited a report may not approve it).

The package:
- services.py: round_create, round_close (writes);
- selectors.py: rounds_for, round_of, round_detail, round_list, section_states, section_items (reads,
  scoped in one place);
- layout.py: the workbook's sheets and columns and the values a row shows (shared by the two below);
- workbook.py: section_workbook (renders; records a section's first download);
- printsheet.py: the 印刷用 sheet, formulas on the answer cells that print every answer whole;
- handler.py: InquiryHandler, the upload handler, and parse_date.

The names below are the package's interface: callers write `from imports import inquiry` and
`inquiry.round_create(...)`.
"""

from .handler import InquiryHandler, _as_int, parse_date
from .layout import (
    COLUMN_LABELS,
    CONTINUATION,
    EDITABLE,
    FIELD_ORDER,
    ID_HEADER,
    ITEM_LABEL,
    LOCKED,
    MAX_CELL,
    META,
    META_FORMAT,
    META_MARK,
    SHEET,
    _clean_text,
    finding_text,
    report_statuses,
)
from .selectors import (
    RoundDetail,
    RoundSummary,
    SectionRow,
    response_of,
    round_detail,
    round_list,
    round_of,
    rounds_for,
    scope_section_ids,
    section_items,
    section_states,
)
from .services import round_close, round_create
from .workbook import section_workbook

__all__ = [
    "COLUMN_LABELS",
    "CONTINUATION",
    "EDITABLE",
    "FIELD_ORDER",
    "ID_HEADER",
    "ITEM_LABEL",
    "LOCKED",
    "MAX_CELL",
    "META",
    "META_FORMAT",
    "META_MARK",
    "SHEET",
    "InquiryHandler",
    "RoundDetail",
    "RoundSummary",
    "SectionRow",
    "_as_int",
    "_clean_text",
    "finding_text",
    "parse_date",
    "report_statuses",
    "response_of",
    "round_close",
    "round_create",
    "round_detail",
    "round_list",
    "round_of",
    "rounds_for",
    "scope_section_ids",
    "section_items",
    "section_states",
    "section_workbook",
]
