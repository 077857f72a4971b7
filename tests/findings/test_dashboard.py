"""The audit office dashboard against an independent, hand-made count.

A known mix of assignments and reports is built through the services (never by writing rows
directly); the expected 区分 × status table, 措置済率, per-section rows and overdue list are then
written out as literal numbers, each explained in a comment, and compared with both
findings.workflow_selectors.dashboard and the page /findings/dashboard/."""

import datetime
import re
from dataclasses import dataclass

import pytest
from django.urls import reverse

from auditreg.choices import Role
from auditreg.models import Section
from findings import services, workflow_views
from findings.choices import ReportState, StatusCode
from findings.models import AuditReport, Finding, Measure, MeasureStatus
from findings.workflow_selectors import dashboard
from tests.factories import ReportFactory

pytestmark = pytest.mark.django_db

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


@pytest.fixture
def office(make_user, db):
    sections = {
        "A": Section.objects.get(bureau__name="都市政策局", name="広報広聴課"),  # 都市政策局 (order 1), 課 order 3
        "B": Section.objects.get(bureau__name="都市政策局", name="交通政策課"),  # 都市政策局 (order 1), 課 order 2
        "C": Section.objects.get(bureau__name="市民局", name="市民課"),  # 市民局 (order 6), 課 order 1
    }
    return Office(
        auditor=make_user("auditor", Role.AUDITOR),
        admin=make_user("admin", Role.ADMIN),
        staff={k: make_user(f"staff{k}", Role.SECTION_STAFF, s) for k, s in sections.items()},
        head={k: make_user(f"head{k}", Role.SECTION_HEAD, s) for k, s in sections.items()},
        sections=sections,
    )


@pytest.fixture
def mix(office, report):
    """Twelve findings of kanazawa-2024-dx assigned; the 2021 report's two 意見 stay unassigned.

    finding  sections  reply_by  what happened                                  finding status
    指摘01   A         FUTURE    A: accepted 措置済                              措置済
    指摘02   C         FAR_PAST  C: accepted 措置中                              措置中
    指摘03   B         PAST      nothing reported                               未着手
    意見01   A + B     PAST      A: accepted 措置済, B: accepted 措置中           措置中 (least advanced open)
    意見02   B         FUTURE    B: accepted 措置しない (with reason)              措置しない
    意見03   B         FUTURE    B: accepted 措置済                              措置済
    意見04   A         TODAY     A: accepted 措置予定・検討中                      措置予定・検討中
    意見05   A + C     FUTURE    A: accepted 措置済, C: accepted 措置しない        措置しない (closed, not all done)
    意見06   C         PAST      C: 措置済 submitted, not yet reviewed           未着手 (only accepted counts)
    意見07   A         none      A: 措置済 draft only                            未着手
    意見08   A         PAST      A: accepted 措置中, later accepted 措置済         措置済 (latest accepted)
    意見09   B         FUTURE    B: 措置済 submitted and returned (差戻し)        未着手
    """
    m = Mix(office, report)
    DONE, IN_PROGRESS, PLANNED, NOT_TAKING = (
        StatusCode.DONE,
        StatusCode.IN_PROGRESS,
        StatusCode.PLANNED,
        StatusCode.NOT_TAKING,
    )
    m.accept(m.assign("指摘01", "A", FUTURE)["A"], "A", DONE)
    m.accept(m.assign("指摘02", "C", FAR_PAST)["C"], "C", IN_PROGRESS)
    m.assign("指摘03", "B", PAST)
    both = m.assign("意見01", "AB", PAST)
    m.accept(both["A"], "A", DONE)
    m.accept(both["B"], "B", IN_PROGRESS)
    m.accept(m.assign("意見02", "B", FUTURE)["B"], "B", NOT_TAKING)
    m.accept(m.assign("意見03", "B", FUTURE)["B"], "B", DONE)
    m.accept(m.assign("意見04", "A", TODAY)["A"], "A", PLANNED)
    both = m.assign("意見05", "AC", FUTURE)
    m.accept(both["A"], "A", DONE)
    m.accept(both["C"], "C", NOT_TAKING)
    m.submit(m.assign("意見06", "C", PAST)["C"], "C", DONE)
    m.draft(m.assign("意見07", "A", None)["A"], "A", DONE)
    measure = m.assign("意見08", "A", PAST)["A"]
    m.accept(measure, "A", IN_PROGRESS)
    m.accept(measure, "A", DONE)
    m.return_(m.assign("意見09", "B", FUTURE)["B"], "B", DONE)
    return m


# -- the expected figures, by hand -----------------------------------------------------------------

# 区分 × status, columns in LABELS order: 未割当, 未着手, 措置予定・検討中, 措置中, 措置済, 措置しない
EXPECTED_TABLE = [
    # 指摘 (3, all in the 2024 report): 指摘03 未着手; 指摘02 措置中; 指摘01 措置済
    {"kind": "指摘", "cells": [0, 1, 0, 1, 1, 0], "total": 3},
    # 意見 (30 of 2024 + 2 of 2021 = 32): unassigned = 意見10–30 (21) + the 2021 意見1, 意見2 (2) = 23;
    # 未着手 = 意見06 (submitted only), 意見07 (draft only), 意見09 (returned) = 3; 措置予定 = 意見04;
    # 措置中 = 意見01 (A done, B in progress); 措置済 = 意見03, 意見08;
    # 措置しない = 意見02, 意見05 (A done, C not taking)
    {"kind": "意見", "cells": [23, 3, 1, 1, 2, 2], "total": 32},
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


# -- the selector --------------------------------------------------------------------------------


def test_table_by_kind_and_status(mix, office):
    data = dashboard(user=office.auditor, today=TODAY)
    assert data["labels"] == LABELS
    assert data["table"] == EXPECTED_TABLE
    assert data["totals"] == EXPECTED_TOTALS


def test_every_finding_of_both_reports_is_counted(mix, office):
    data = dashboard(user=office.auditor, today=TODAY)
    assert data["n_findings"] == 33 + 2 == sum(EXPECTED_TOTALS)
    assert Finding.objects.count() == 35  # the independent count: every finding in the database


def test_done_rate(mix, office):
    data = dashboard(user=office.auditor, today=TODAY)
    assert data["n_done"] == EXPECTED_N_DONE
    assert data["done_rate"] == pytest.approx(3 / 35 * 100)  # 8.571…%


def test_per_section_rows(mix, office):
    data = dashboard(user=office.auditor, today=TODAY)
    assert per_section_rows(data) == EXPECTED_PER_SECTION
    assert sum(r[2] for r in EXPECTED_PER_SECTION) == Measure.objects.count() == 14


def test_overdue_list(mix, office):
    data = dashboard(user=office.auditor, today=TODAY)
    assert overdue_rows(data) == EXPECTED_OVERDUE
    # the per-section overdue counts agree with the list
    assert sum(r[5] for r in per_section_rows(data)) == len(EXPECTED_OVERDUE)


def test_overdue_moves_with_today(mix, office):
    """A day later 意見04 (reply_by == TODAY, still 措置予定) is overdue too; two months earlier nothing is."""
    later = dashboard(user=office.auditor, today=TODAY + datetime.timedelta(days=1))
    assert overdue_rows(later) == [*EXPECTED_OVERDUE[:4], ("意見04", "広報広聴課")]
    earlier = dashboard(user=office.auditor, today=datetime.date(2025, 8, 1))
    assert overdue_rows(earlier) == []


def test_admin_sees_the_same_figures(mix, office):
    assert dashboard(user=office.admin, today=TODAY) == dashboard(user=office.auditor, today=TODAY)


def test_one_report_only(mix, office, report):
    """Limited to kanazawa-2024-dx: the 2021 report's two unassigned 意見 drop out, nothing else changes."""
    data = dashboard(user=office.auditor, today=TODAY, report=report)
    assert data["table"] == [
        {"kind": "指摘", "cells": [0, 1, 0, 1, 1, 0], "total": 3},
        {"kind": "意見", "cells": [21, 3, 1, 1, 2, 2], "total": 30},
    ]
    assert data["n_findings"] == 33
    assert data["done_rate"] == pytest.approx(3 / 33 * 100)
    assert per_section_rows(data) == EXPECTED_PER_SECTION
    assert overdue_rows(data) == EXPECTED_OVERDUE
    other = AuditReport.objects.get(code="kanazawa-2021-citizen")
    data = dashboard(user=office.auditor, today=TODAY, report=other)
    assert data["table"][1] == {"kind": "意見", "cells": [2, 0, 0, 0, 0, 0], "total": 2}
    assert (data["n_findings"], data["n_done"], data["per_section"], data["overdue"]) == (2, 0, [], [])


def test_nothing_assigned_yet(office):
    data = dashboard(user=office.auditor, today=TODAY)
    assert data["totals"] == [35, 0, 0, 0, 0, 0]
    assert (data["n_done"], data["done_rate"], data["per_section"], data["overdue"]) == (0, 0.0, [], [])


def test_renamed_label_is_used(mix, office):
    """Labels are data: renaming 措置済 to 改善済み moves the column, the counts stay."""
    MeasureStatus.objects.filter(code=StatusCode.DONE).update(label="改善済み")
    data = dashboard(user=office.auditor, today=TODAY)
    assert data["labels"] == ["未割当", "未着手", "措置予定・検討中", "措置中", "改善済み", "措置しない"]
    assert data["table"] == EXPECTED_TABLE
    assert data["n_done"] == EXPECTED_N_DONE


# -- the page ------------------------------------------------------------------------------------


@pytest.fixture
def page(mix, office, client, monkeypatch):
    monkeypatch.setattr(workflow_views, "_today", lambda: TODAY)
    client.force_login(office.auditor)
    response = client.get(reverse("findings:dashboard"))
    assert response.status_code == 200
    return response


def cells(html: str, heading: str) -> list[list[str]]:
    """The text of each body row of the first table after the <h2> that starts with `heading`."""
    section = html.split(f"<h2>{heading}", 1)[1]
    table = section.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S)
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)] for r in rows
    ]


def test_page_context_matches_the_hand_count(page):
    ctx = page.context
    assert ctx["today"] == TODAY
    assert ctx["table"] == EXPECTED_TABLE
    assert ctx["totals"] == EXPECTED_TOTALS
    assert ctx["n_findings"] == 35
    assert per_section_rows(ctx) == EXPECTED_PER_SECTION
    assert overdue_rows(ctx) == EXPECTED_OVERDUE
    # awaiting review: only 意見06 (意見09 was returned, everything else accepted or never submitted)
    assert [(r["code"], r["state"]) for r in ctx["awaiting_review"]] == [("意見06", ReportState.SUBMITTED)]


def test_page_shows_the_figures(page):
    html = page.content.decode()
    assert cells(html, "区分 × 措置状況") == [
        ["指摘", "0", "1", "0", "1", "1", "0", "3"],
        ["意見", "23", "3", "1", "1", "2", "2", "32"],
        ["計", "23", "4", "1", "2", "3", "2", "35"],
    ]
    assert "<strong>8.6%</strong>（3 / 35 件）" in html
    assert cells(html, "局・課別") == [[b, s, *map(str, n)] for b, s, *n in EXPECTED_PER_SECTION]
    overdue = cells(html, "回答期限を過ぎた措置")
    assert [(row[0][:4], row[2]) for row in overdue] == EXPECTED_OVERDUE
    assert "回答期限を過ぎた措置（4 件）" in html
    assert "審査待ちの報告（1 件）" in html


def test_page_for_one_report(mix, office, client, monkeypatch):
    monkeypatch.setattr(workflow_views, "_today", lambda: TODAY)
    client.force_login(office.auditor)
    response = client.get(reverse("findings:dashboard") + "?report=kanazawa-2024-dx")
    assert response.status_code == 200
    assert response.context["n_findings"] == 33
    assert response.context["totals"] == [21, 4, 1, 2, 3, 2]
    # an unknown code falls back to every report
    response = client.get(reverse("findings:dashboard") + "?report=no-such-report")
    assert response.context["n_findings"] == 35


def test_overdue_table_shows_the_current_report(page):
    overdue = {row[0][:4]: row for row in cells(page.content.decode(), "回答期限を過ぎた措置")}
    assert overdue["意見06"][5].startswith(ReportState.SUBMITTED.label)  # 課長承認済・審査待ち（…）
