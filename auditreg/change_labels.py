"""Reading the change log back in the city's words: field labels, 和暦, file sizes. Free of the models
(auditreg.models.ChangeLog.readable_changes uses it), so no import cycle."""

import datetime
import re

from . import wareki

# -- reading it back, in the city's words ------------------------------------------------------

# The change log stores field codes and ISO values (stable data); people read these labels.
FIELD_LABELS = {
    "state": "段階",
    "status": "措置状況",
    "reported_on": "報告日",
    "text": "措置（対応）の内容",
    "planned_completion_on": "完了予定日",
    "completed_on": "措置年月日",
    "reason": "措置しない理由",
    "section": "所管課",
    "reply_by": "回答期限",
    "recipients": "宛先（人）",
    "measures": "措置（件）",
    "evidence": "根拠資料",
    "review_comment": "監査事務局のコメント",
    "title": "表題",
    "body_title": "表題（本文）",
    "detected": "① 検出事項",
    "problem": "② 問題点",
    "recommendation": "③ 指摘・意見",
    "recorded_measure": "措置の内容（報告書記載）",
    "page": "報告書頁",
    "is_active": "有効",
    "role": "役割",
    "deputy_title": "承認の代理",
    "must_change_password": "次回ログイン時にパスワード変更",
}
# Coded values in the city's words, by field: each app registers its own (findings: the report's
# 段階), so this base module names none of them.
VALUE_LABELS: dict[str, dict[str, str]] = {}


def register_value_labels(field: str, choices) -> None:
    """Labels for a field's stored codes, e.g. ("state", ReportState.choices), at app start-up."""
    VALUE_LABELS.setdefault(field, {}).update(dict(choices))


_EVIDENCE_BYTES = re.compile(r"\((\d+) bytes, sha256 ([0-9a-f]+)…\)")


def filesize(n: int | None) -> str:
    """392 -> 392 バイト, 12_345 -> 12.1 KB, 3_500_000 -> 3.3 MB (1 KB = 1,024 バイト, as Windows shows)."""
    if n is None:
        return ""
    if n < 1024:
        return f"{n:,} バイト"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


def _value(field: str, value) -> str:
    if value is None or value == "":
        return "（なし）"
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if value in VALUE_LABELS.get(field, {}):
        return VALUE_LABELS[field][value]
    if isinstance(value, str):
        if _ISO_DATETIME.fullmatch(value):
            return wareki.format_datetime(datetime.datetime.fromisoformat(value))
        if _ISO_DATE.fullmatch(value):
            return wareki.format_date(datetime.date.fromisoformat(value))
        return _EVIDENCE_BYTES.sub(lambda m: f"（{filesize(int(m.group(1)))}）", value)
    return str(value)


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?")


def readable(changes: dict) -> list[tuple[str, str, str]]:
    """(label, before, after) for each changed field of a change-log entry, in Japanese."""
    rows = []
    for field, pair in (changes or {}).items():
        before, after = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
        rows.append((FIELD_LABELS.get(field, field), _value(field, before), _value(field, after)))
    return rows
