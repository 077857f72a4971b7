"""The answer workbook's layout (sheets, columns, meta marks) and the values a row shows: shared by the
renderer (workbook.py) and the upload handler (handler.py)."""

import re

from findings.choices import StatusCode
from findings.models import MeasureStatus

SHEET = "回答"
META = "_meta"
META_MARK = "auditreg-inquiry"
META_FORMAT = 1
ID_HEADER = "措置ID"
MAX_CELL = 32_000  # Excel holds at most 32,767 characters in a cell
ITEM_LABEL = "措置の報告"
CONTINUATION = "続き"  # 措置ID of the print-only rows of workbooks written before the 印刷用 sheet (skipped)
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
