"""The known mix behind tests/findings/test_dashboard*.py and its expected figures, by hand: the 区分 ×
status table, 措置済率, per-section rows and overdue list as literal numbers, each explained in a comment
(the office, mix and page fixtures are in conftest.py), and the rows of a table on the page."""

import datetime
import re
from dataclasses import dataclass

from findings import services
from findings.choices import StatusCode
from findings.models import AuditReport, Finding, Measure, MeasureStatus
from tests.factories import ReportFactory

TODAY = datetime.date(2025, 10, 1)
FAR_PAST = datetime.date(2025, 8, 31)  # overdue by a month
PAST = datetime.date(2025, 9, 30)  # overdue by a day
FUTURE = datetime.date(2025, 12, 31)

LABELS = ["未割当", "未着手", "措置予定・検討中", "措置中", "措置済", "措置しない"]


# -- the mix ---------------------------------------------------------------------------------------


@dataclass
class Office:
    auditor: object
    admin: object
    staff: dict  # section key -> 担当
    head: dict  # section key -> 課長
    sections: dict  # "A" / "B" / "C" -> Section


def status(code) -> MeasureStatus:
    return MeasureStatus.objects.get(code=code)


def values(code, **overrides) -> dict:
    return {
        "status": status(code),
        "reported_on": datetime.date(2025, 9, 1),
        "text": "" if code == StatusCode.NOT_TAKING else "所管課で対応を進めている。",
        "planned_completion_on": None,
        "completed_on": datetime.date(2025, 8, 1) if code == StatusCode.DONE else None,
        "reason": "費用対効果が見込めないため、現行の運用を継続する。" if code == StatusCode.NOT_TAKING else "",
    } | overrides


class Mix:
    """Drives measures through the services as the section and the office would."""

    def __init__(self, office: Office, report: AuditReport):
        self.o, self.report = office, report

    def assign(self, code, keys, reply_by) -> dict:
        finding = Finding.objects.get(report=self.report, code=code)
        services.finding_assign(
            finding=finding, sections=[self.o.sections[k] for k in keys], reply_by=reply_by, by=self.o.auditor
        )
        return {k: Measure.objects.get(finding=finding, section=self.o.sections[k]) for k in keys}

    def reported(self, measure, key, code, state, comment=""):
        return ReportFactory(
            measure=measure,
            by=self.o.staff[key],
            state=state,
            approver=self.o.head[key],
            reviewer=self.o.auditor,
            comment=comment,
            values=values(code),
        )

    def draft(self, measure, key, code):
        return self.reported(measure, key, code, "draft")

    def submit(self, measure, key, code):
        return self.reported(measure, key, code, "submitted")

    def accept(self, measure, key, code):
        return self.reported(measure, key, code, "accepted")

    def return_(self, measure, key, code):
        return self.reported(measure, key, code, "returned", comment="再提出を")


# -- the expected figures, by hand -----------------------------------------------------------------

# 区分 × status, columns in LABELS order: 未割当, 未着手, 措置予定・検討中, 措置中, 措置済, 措置しない
EXPECTED_TABLE = [
    # 指摘 (3, all in the 2024 report): 指摘03 未着手; 指摘02 措置中; 指摘01 措置済
    {"kind": "指摘", "code": "指摘", "counted": True, "cells": [0, 1, 0, 1, 1, 0], "total": 3},
    # 意見 (30 of 2024 + 2 of 2021 = 32): unassigned = 意見10–30 (21) + the 2021 意見1, 意見2 (2) = 23;
    # 未着手 = 意見06 (submitted only), 意見07 (draft only), 意見09 (returned) = 3; 措置予定 = 意見04;
    # 措置中 = 意見01 (A done, B in progress); 措置済 = 意見03, 意見08;
    # 措置しない = 意見02, 意見05 (A done, C not taking)
    {"kind": "意見", "code": "意見", "counted": True, "cells": [23, 3, 1, 1, 2, 2], "total": 32},
]
EXPECTED_TOTALS = [23, 4, 1, 2, 3, 2]  # column sums of the two rows above; 35 in all
EXPECTED_N_DONE = 3  # 指摘01, 意見03, 意見08

# Measures (one per finding × section), in organisation order: 都市政策局 (交通政策課 before 広報広聴課), then 市民局.
EXPECTED_PER_SECTION = [
    # B: 指摘03 未着手 (PAST, overdue), 意見01 措置中 (PAST, overdue), 意見02 措置しない (closed),
    #    意見03 措置済, 意見09 未着手 (FUTURE) -> 5 measures, 1 done, 2 closed, 2 overdue
    ("都市政策局", "交通政策課", 5, 1, 2, 2),
    # A: 指摘01 措置済, 意見01 措置済, 意見04 措置予定 (reply_by == TODAY: not overdue), 意見05 措置済,
    #    意見07 未着手 (no reply_by: never overdue), 意見08 措置済 (PAST but closed) -> 6, 4 done, 4 closed, 0 overdue
    ("都市政策局", "広報広聴課", 6, 4, 4, 0),
    # C: 指摘02 措置中 (FAR_PAST, overdue), 意見05 措置しない (closed), 意見06 未着手 (PAST, overdue although a
    #    report awaits review: the accepted status is what counts) -> 3, 0 done, 1 closed, 2 overdue
    ("市民局", "市民課", 3, 0, 1, 2),
]

# Overdue measures, by reply_by then the finding's place in the report
# (指摘01–03 are orders 1–3, 意見01 is 4, 意見06 is 9)
EXPECTED_OVERDUE = [
    ("指摘02", "市民課"),  # FAR_PAST
    ("指摘03", "交通政策課"),  # PAST
    ("意見01", "交通政策課"),  # PAST; 広報広聴課's measure of 意見01 is 措置済, so not overdue
    ("意見06", "市民課"),  # PAST
]


def per_section_rows(data):
    return [
        (r["section__bureau__name"], r["section__name"], r["total"], r["done"], r["closed"], r["overdue"])
        for r in data["per_section"]
    ]


def overdue_rows(data):
    return [(m["code"], m["section_name"]) for m in data["overdue"]]


def cells(html: str, heading: str) -> list[list[str]]:
    """The text of each body row of the first table after the <h2> that starts with `heading`."""
    section = html.split(f"<h2>{heading}", 1)[1]
    table = section.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S)
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)] for r in rows
    ]
