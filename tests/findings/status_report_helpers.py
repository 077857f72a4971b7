"""The known dated history behind tests/findings/test_status_report*.py, written through the workflow services
with the clock set (the timeline is in test_status_report.py's docstring; the fixture is in conftest.py),
and small readers of a built 措置状況."""

import datetime
from contextlib import contextmanager
from dataclasses import dataclass
from unittest.mock import patch
from zoneinfo import ZoneInfo

from auditreg.choices import Role
from auditreg.models import Section
from findings.choices import ReportState
from findings.models import AuditReport, Finding, MeasureStatus
from findings.services import finding_assign, report_accept, report_return, report_save_draft, report_submit

JST = ZoneInfo("Asia/Tokyo")
MAIN = "kanazawa-2024-dx"
EARLIER = "kanazawa-2021-citizen"

A_BUREAU, A_NAME = "都市政策局", "広報広聴課"
B_BUREAU, B_NAME = "総務局", "デジタル行政戦略課"

LABELS = ["未割当", "未着手", "措置予定・検討中", "措置中", "措置済", "措置しない"]

TEXT = {
    "指摘01/1": "作成者IDと承認者IDの分離を各課に確認中。",
    "指摘01/2": "全課でIDを分離し、確認一覧を作成した。",
    "意見04/A": "最低制限価格の算定根拠を設計書に記載することとした。",
    "意見04/B": "入札事務の手引きの改訂に着手した。",
    "意見04/B-returned": "手引きを改訂した（差戻し）。",
    "意見19/1": "リカバリ訓練の方法を検討している。",
    "意見19/2": "リカバリ訓練の実施計画を作成中。",
    "意見16/1": "標準QAの見直しに着手した。",
    "意見16/2": "標準QAを見直した（審査待ち）。",
    "意見01/draft": "KPIの補完的分析を下書き中。",
    "意見02/reason": "参考指標は既存の統計で足りるため追加しない。",
}


def jst(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=JST)


@contextmanager
def at(moment: datetime.datetime):
    """The services stamp their writes with timezone.now(): set the clock."""
    with patch("django.utils.timezone.now", return_value=moment):
        yield


def status(code) -> MeasureStatus:
    return MeasureStatus.objects.get(code=code)


@dataclass
class History:
    report: AuditReport
    section_a: Section
    section_b: Section
    auditor: object
    staff_a: object
    head_a: object
    staff_b: object
    head_b: object
    measures: dict  # "指摘01/A" -> Measure

    def assign(self, code, sections, when):
        finding = Finding.objects.get(report=self.report, code=code)
        with at(when):
            return finding_assign(finding=finding, sections=sections, reply_by=None, by=self.auditor)

    def people(self, measure):
        if measure.section_id == self.section_a.pk:
            return self.staff_a, self.head_a
        return self.staff_b, self.head_b

    def draft(self, measure, when, code, text="", completed_on=None, reason=""):
        staff, _ = self.people(measure)
        open_report = measure.reports.filter(state__in=[ReportState.DRAFT, ReportState.RETURNED]).first()
        values = {
            "status": status(code),
            "reported_on": when.date(),
            "text": text,
            "planned_completion_on": None,
            "completed_on": completed_on,
            "reason": reason,
        }
        with at(when):
            return report_save_draft(
                measure=measure, by=staff, values=values, version=open_report.version if open_report else None
            )

    def submit(self, report, when):
        _, head = self.people(report.measure)
        with at(when):
            return report_submit(report=report, by=head)

    def accept(self, report, when):
        with at(when):
            return report_accept(report=report, by=self.auditor)

    def accepted(self, measure, code, *, drafted, reviewed, text="", completed_on=None, reason=""):
        r = self.draft(measure, drafted, code, text=text, completed_on=completed_on, reason=reason)
        r = self.submit(r, drafted + datetime.timedelta(hours=2))
        return self.accept(r, reviewed)


def build_history(make_user, report) -> History:
    section_a = Section.objects.get(bureau__name=A_BUREAU, name=A_NAME)
    section_b = Section.objects.get(bureau__name=B_BUREAU, name=B_NAME)
    h = History(
        report=report,
        section_a=section_a,
        section_b=section_b,
        auditor=make_user("h_auditor", Role.AUDITOR, last_name="監査"),
        staff_a=make_user("h_staff_a", Role.SECTION_STAFF, section_a, last_name="広報担当"),
        head_a=make_user("h_head_a", Role.SECTION_HEAD, section_a, last_name="広報課長"),
        staff_b=make_user("h_staff_b", Role.SECTION_STAFF, section_b, last_name="デジタル担当"),
        head_b=make_user("h_head_b", Role.SECTION_HEAD, section_b, last_name="デジタル課長"),
        measures={},
    )
    may = jst(2025, 5, 1, 9)
    for code, sections in [
        ("指摘01", [section_a]),
        ("意見19", [section_b]),
        ("意見04", [section_a, section_b]),
        ("意見01", [section_b]),
        ("意見02", [section_b]),
    ]:
        for m in h.assign(code, sections, may):
            h.measures[f"{code}/{'A' if m.section_id == section_a.pk else 'B'}"] = m
    m = h.measures
    h.accepted(
        m["指摘01/A"], "in_progress", drafted=jst(2025, 6, 2, 10), reviewed=jst(2025, 6, 10, 15), text=TEXT["指摘01/1"]
    )
    h.accepted(
        m["意見04/B"], "in_progress", drafted=jst(2025, 6, 5, 10), reviewed=jst(2025, 6, 15, 15), text=TEXT["意見04/B"]
    )
    h.accepted(
        m["意見19/B"], "planned", drafted=jst(2025, 6, 12, 10), reviewed=jst(2025, 6, 20, 15), text=TEXT["意見19/1"]
    )
    h.draft(m["意見01/B"], jst(2025, 7, 1, 10), "in_progress", text=TEXT["意見01/draft"])
    (m["意見16/A"],) = h.assign("意見16", [section_a], jst(2025, 8, 1, 9))
    h.accepted(
        m["意見16/A"], "in_progress", drafted=jst(2025, 8, 5, 10), reviewed=jst(2025, 8, 20, 15), text=TEXT["意見16/1"]
    )
    h.accepted(
        m["意見04/A"],
        "done",
        drafted=jst(2025, 9, 2, 10),
        reviewed=jst(2025, 9, 10, 15),
        text=TEXT["意見04/A"],
        completed_on=datetime.date(2025, 9, 1),
    )
    h.accepted(
        m["意見02/B"],
        "not_taking",
        drafted=jst(2025, 10, 20, 10),
        reviewed=jst(2025, 11, 1, 15),
        reason=TEXT["意見02/reason"],
    )
    returned = h.draft(
        m["意見04/B"],
        jst(2025, 11, 4, 10),
        "done",
        text=TEXT["意見04/B-returned"],
        completed_on=datetime.date(2025, 11, 1),
    )
    returned = h.submit(returned, jst(2025, 11, 5, 10))
    with at(jst(2025, 11, 10, 15)):
        report_return(report=returned, by=h.auditor, comment="根拠資料を添付してください。")
    h.draft(
        m["意見04/B"],
        jst(2025, 11, 12, 10),
        "done",
        text=TEXT["意見04/B-returned"],
        completed_on=datetime.date(2025, 11, 1),
    )
    h.accepted(
        m["指摘01/A"],
        "done",
        drafted=jst(2025, 12, 2, 10),
        reviewed=jst(2025, 12, 10, 15),
        text=TEXT["指摘01/2"],
        completed_on=datetime.date(2025, 12, 1),
    )
    pending = h.draft(
        m["意見16/A"], jst(2025, 12, 18, 10), "done", text=TEXT["意見16/2"], completed_on=datetime.date(2025, 12, 15)
    )
    h.submit(pending, jst(2025, 12, 20, 10))
    h.accepted(
        m["意見19/B"],
        "in_progress",
        drafted=jst(2025, 12, 25, 10),
        reviewed=jst(2026, 1, 1, 0, 30),
        text=TEXT["意見19/2"],
    )
    return h


def by_code(built) -> dict:
    return {r.code: r for r in built.rows}


def summary_of(built) -> dict:
    return {s["kind"]: s["counts"] for s in built.summary}
