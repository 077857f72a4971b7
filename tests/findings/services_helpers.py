"""Helpers shared by tests/findings/test_services_*.py: the people of one section and another, measure
status and report values, a table snapshot, and a report put into a given state (the fixtures are in
conftest.py)."""

import datetime
from dataclasses import dataclass

from auditreg.models import ChangeLog
from findings.choices import ReportState, StatusCode
from findings.models import EvidenceFile, Measure, MeasureReport, MeasureStatus
from findings.services import (
    report_accept,
    report_return,
    report_save_draft,
    report_section_return,
    report_submit,
)

REPLY_BY = datetime.date(2025, 9, 30)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


# -- fixtures and helpers ----------------------------------------------------------------------


@dataclass
class People:
    auditor: object
    admin: object
    staff1: object
    staff2: object
    head1: object
    head2: object
    outsider: object  # staff of another section
    outsider_head: object


def status(code) -> MeasureStatus:
    return MeasureStatus.objects.get(code=code)


def values(code=StatusCode.IN_PROGRESS, **overrides) -> dict:
    result = {
        "status": status(code),
        "reported_on": datetime.date(2025, 6, 30),
        "text": "ID とパスワードの管理手順を改め、作成者と承認者を分けた。",
        "planned_completion_on": datetime.date(2026, 3, 31),
        "completed_on": datetime.date(2025, 6, 1) if code == StatusCode.DONE else None,
        "reason": "",
    }
    return result | overrides


def snapshot() -> dict:
    """Every row the services write, to prove that a refused action wrote nothing."""
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Measure, MeasureReport, ChangeLog, EvidenceFile)
    }


def draft(measure, by, **overrides) -> MeasureReport:
    return report_save_draft(measure=measure, by=by, values=values(**overrides), version=None)


def edit(report, by, **overrides) -> MeasureReport:
    report.refresh_from_db()
    return report_save_draft(measure=report.measure, by=by, values=values(**overrides), version=report.version)


def report_in_state(state, measure, p: People) -> MeasureReport | None:
    """A report of `measure` in `state`, brought there through the services (drafted by staff1,
    approved by head1, reviewed by the auditor)."""
    if state is None:
        return None
    report = draft(measure, p.staff1)
    if state == ReportState.DRAFT:
        return report
    if state == ReportState.REVISING:
        return report_section_return(report=report, by=p.head1, comment="語句を直してください。")
    report = report_submit(report=report, by=p.head1)
    if state == ReportState.SUBMITTED:
        return report
    if state == ReportState.RETURNED:
        return report_return(report=report, by=p.auditor, comment="根拠資料を添付してください。")
    return report_accept(report=report, by=p.auditor, comment="受理します。")


def validation_keys(excinfo) -> set:
    return set(excinfo.value.message_dict)
