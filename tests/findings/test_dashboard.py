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
        {"kind": "指摘", "code": "指摘", "counted": True, "cells": [0, 1, 0, 1, 1, 0], "total": 3},
        {"kind": "意見", "code": "意見", "counted": True, "cells": [21, 3, 1, 1, 2, 2], "total": 30},
    ]
    assert data["n_findings"] == 33
    assert data["done_rate"] == pytest.approx(3 / 33 * 100)
    assert per_section_rows(data) == EXPECTED_PER_SECTION
    assert overdue_rows(data) == EXPECTED_OVERDUE
    other = AuditReport.objects.get(code="kanazawa-2021-citizen")
    data = dashboard(user=office.auditor, today=TODAY, report=other)
    assert data["table"][1] == {
        "kind": "意見",
        "code": "意見",
        "counted": True,
        "cells": [2, 0, 0, 0, 0, 0],
        "total": 2,
    }
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
    assert [{k: row[k] for k in EXPECTED_TABLE[0]} for row in ctx["table"]] == EXPECTED_TABLE
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
    assert re.search(r"<strong>8\.6%</strong>（<a [^>]*>3</a> / 35 件）", html)
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


# -- the charts (issue #14 point 5): each drawing against the numbers it draws ---------------------

SVG = "{http://www.w3.org/2000/svg}"
STATUS_LABELS = LABELS[1:]  # the 局 chart has no 未割当 column: a finding assigned in a 局 has a status

# Findings by the 局 they are assigned in × status (a finding with sections in two 局 counts in both),
# columns 未着手, 措置予定・検討中, 措置中, 措置済, 措置しない. By hand from the mix's table:
EXPECTED_BY_BUREAU = [
    # 都市政策局 (sections A and B): 未着手 指摘03, 意見07, 意見09; 措置予定 意見04; 措置中 意見01;
    # 措置済 指摘01, 意見03, 意見08; 措置しない 意見02, 意見05 -> 10 findings
    ("都市政策局", [3, 1, 1, 3, 2], 10),
    # 市民局 (section C): 未着手 意見06; 措置中 指摘02; 措置しない 意見05 -> 3
    ("市民局", [1, 0, 1, 0, 1], 3),
]
# Findings with an overdue measure by the age of their oldest one (today 2025-10-01): 指摘03, 意見01
# (交通政策課's measure), 意見06 are 1 day past PAST; 指摘02 is 31 days past FAR_PAST (2025-08-31).
EXPECTED_AGES = [("1〜30日", 3), ("31〜90日", 1), ("91〜180日", 0), ("181〜365日", 0), ("365日超", 0)]


def svg_of(html: str, chart: str):
    """The chart's <svg> element, parsed as XML (so it must be well-formed and escaped)."""
    import xml.etree.ElementTree as ET

    match = re.search(rf'<svg [^>]*data-chart="{chart}".*?</svg>', html, flags=re.S)
    assert match, f"no {chart} chart"
    return ET.fromstring(match.group(0))


def links_of(html: str, chart: str):
    """The aria-hidden layer of links drawn over the chart (the same viewBox)."""
    import xml.etree.ElementTree as ET

    match = re.search(rf'<svg [^>]*data-links-for="{chart}".*?</svg>', html, flags=re.S)
    assert match, f"no links over the {chart} chart"
    layer = ET.fromstring(match.group(0))
    assert layer.get("aria-hidden") == "true"
    assert all(a.get("tabindex") == "-1" for a in layer.iter(f"{SVG}a"))
    return layer


def chart_rows(svg):
    return [g for g in svg.iter(f"{SVG}g") if g.get("class") == "chart-row"]


def drawn_bars(html: str, chart: str) -> list[tuple[str, list[tuple[str, int, float, str]], str]]:
    """Each row of a bar chart: (label, [(series, value, width, link)], total printed after the bar).
    The picture's bars and the links layer's shapes over them are checked to coincide."""
    rows = []
    picture, layer = chart_rows(svg_of(html, chart)), chart_rows(links_of(html, chart))
    for g, over in zip(picture, layer, strict=True):
        assert g.get("data-label") == over.get("data-label")
        links = [(a.get("href"), r) for a in over.iter(f"{SVG}a") for r in a.iter(f"{SVG}rect")]
        bars = [(href, r) for href, r in links if r.get("data-series") is not None]
        segments = []
        for rect, (href, hit) in zip(g.iter(f"{SVG}rect"), bars, strict=True):
            geometry = [rect.get(k) for k in ("x", "y", "width", "height", "data-series", "data-value")]
            assert geometry == [hit.get(k) for k in ("x", "y", "width", "height", "data-series", "data-value")]
            segments.append((rect.get("data-series"), int(rect.get("data-value")), float(rect.get("width")), href))
        total = next(t.text for t in g.iter(f"{SVG}text") if t.get("class") == "chart-value")
        assert [r.get("data-total") for _, r in links if r.get("data-total")] == [total]  # the total links too
        rows.append((g.get("data-label"), segments, total))
    return rows


def assert_one_scale(rows):
    """Every bar is drawn to one scale: width / value is the same for every segment, and the longest
    row fills the plotting width."""
    from findings.charts import VALUE_SPACE, WIDTH

    longest = max(sum(v for _, v, _, _ in segs) for _, segs, _ in rows)
    scale = (WIDTH - VALUE_SPACE) / longest
    for _, segs, _ in rows:
        for _, value, width, _ in segs:
            assert width == pytest.approx(value * scale, abs=0.01)


def query(href: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl, urlsplit

    parts = urlsplit(href)
    assert parts.path == reverse("findings:finding_list")
    return sorted(parse_qsl(parts.query))


def test_kind_chart_draws_the_hand_count(page):
    html = page.content.decode()
    svg = svg_of(html, "kind")
    assert svg.get("role") == "img" and svg.find(f"{SVG}title").text == "区分別の措置状況"
    assert svg.find(f"{SVG}desc").text and svg.get("aria-labelledby").split() == [
        svg.find(f"{SVG}title").get("id"),
        svg.find(f"{SVG}desc").get("id"),
    ]
    rows = drawn_bars(html, "kind")
    codes = ["unassigned", "not_started", "planned", "in_progress", "done", "not_taking"]
    for (label, segments, total), expected in zip(rows, EXPECTED_TABLE, strict=True):
        assert label == expected["kind"] and total == str(expected["total"])
        # a segment per non-zero count, in column order, each with its count and the list it counts
        assert [(s, v) for s, v, _, _ in segments] == [
            (name, n) for name, n in zip(LABELS, expected["cells"], strict=True) if n
        ]
        for series, _, _, href in segments:
            code = codes[LABELS.index(series)]
            assert query(href) == sorted([("kind", expected["code"]), ("status", code)])
    assert_one_scale(rows)
    # and the independent count from the database agrees with the hand count the chart draws
    assert Finding.objects.filter(kind="意見", measures__isnull=True).count() == 23


def test_bureau_chart_draws_the_hand_count(page, office):
    html = page.content.decode()
    rows = drawn_bars(html, "bureau")
    assert [(label, [v for _, v, _, _ in segs], int(total)) for label, segs, total in rows] == [
        (name, [n for n in cells if n], total) for name, cells, total in EXPECTED_BY_BUREAU
    ]
    assert_one_scale(rows)
    bureau = office.sections["A"].bureau
    segments = {s: href for s, _, _, href in rows[0][1]}
    assert query(segments["措置済"]) == sorted([("bureau", str(bureau.pk)), ("status", "done")])
    # independently: findings with a measure in the 局, by their stored status
    for name, counts, total in EXPECTED_BY_BUREAU:
        assigned = Finding.objects.filter(measures__section__bureau__name=name).distinct()
        assert assigned.count() == total
        assert [
            assigned.filter(status_code=c).count()
            for c in ["not_started", "planned", "in_progress", "done", "not_taking"]
        ] == counts
    # the table beside it: the same numbers, each linking to the same list as its bar
    table = cells(html, "局別の措置状況")
    assert table == [[name, *map(str, c), str(t)] for name, c, t in EXPECTED_BY_BUREAU]
    links = re.findall(r'<a href="([^"]+)">3</a>', html.split("<h2>局別の措置状況", 1)[1].split("</table>", 1)[0])
    assert [link.replace("&amp;", "&") for link in links][:2] == [segments["未着手"], segments["措置済"]]


def independent_ages(today) -> list[int]:
    """Findings with an open measure past its reply-by date, by the days since their oldest one."""
    oldest = {}
    for m in Measure.objects.select_related("status").filter(reply_by__lt=today):
        if not m.status.is_closed:
            oldest[m.finding_id] = min(oldest.get(m.finding_id, m.reply_by), m.reply_by)
    days = [(today - d).days for d in oldest.values()]
    bands = [(1, 30), (31, 90), (91, 180), (181, 365), (366, 10**6)]
    return [sum(lo <= d <= hi for d in days) for lo, hi in bands]


def test_overdue_chart_draws_the_ages(page):
    html = page.content.decode()
    rows = drawn_bars(html, "overdue")
    assert [(label, int(total)) for label, _, total in rows] == EXPECTED_AGES
    assert [n for _, n in EXPECTED_AGES] == independent_ages(TODAY)
    assert all(query(href) == [("overdue", "1")] for _, segs, _ in rows for *_, href in segs)
    assert cells(html, "回答期限の超過日数") == [[label, str(n)] for label, n in EXPECTED_AGES] + [["計", "4"]]


def test_overdue_ages_a_year_later(mix, office):
    """A year on, 意見04 (reply_by == TODAY) is exactly 365 days past: the 181–365 band's last day;
    意見09 (FUTURE, returned) is 274 days; the four overdue since 2025 are over 365."""
    later = datetime.date(2026, 10, 1)
    data = dashboard(user=office.auditor, today=later)
    assert [r["n"] for r in data["overdue_ages"]] == [0, 0, 0, 2, 4] == independent_ages(later)


@pytest.fixture
def published(mix, office, report):
    """Two publications of the 2024 report: as of 2020 (nothing assigned then) and as of today."""
    from findings import publishing

    today = datetime.date.today()
    for number, as_of in ((1, datetime.date(2020, 4, 1)), (2, today)):
        publishing.publish(
            reports=[report], as_of=as_of, per="finding", number=number, published_on=today, by=office.auditor
        )


def test_trend_chart_draws_each_publication(published, office, client, monkeypatch):
    from findings.charts import point_y

    monkeypatch.setattr(workflow_views, "_today", lambda: TODAY)
    client.force_login(office.auditor)
    html = client.get(reverse("findings:dashboard")).content.decode()
    svg = svg_of(html, "trend")
    dots = [c for c in svg.iter(f"{SVG}circle")]
    # 第1号: nothing assigned as of 2020 -> 0 / 33; 第2号: 指摘01, 意見03, 意見08 done -> 3 / 33
    expected = [("第1号", 0.0), ("第2号", 3 / 33 * 100)]
    assert [(c.get("data-label"), float(c.get("data-value"))) for c in dots] == [
        (label, pytest.approx(rate, abs=0.05)) for label, rate in expected
    ]
    for c, (_, rate) in zip(dots, expected, strict=True):
        assert float(c.get("cy")) == pytest.approx(point_y(rate), abs=0.01)
    links = [a.get("href") for a in links_of(html, "trend").iter(f"{SVG}a")]
    assert links == [reverse("findings:publication_page", args=[n]) for n in (1, 2)]
    assert cells(html, "措置済率の推移") == [
        ["第1号", "令和2年4月1日", "0", "33", "0.0%"],
        ["第2号", f"{workflow_views.format_date(datetime.date.today())}", "3", "33", "9.1%"],
    ]


def test_trend_follows_the_chosen_reports(published, office):
    other = AuditReport.objects.get(code="kanazawa-2021-citizen")
    assert dashboard(user=office.auditor, today=TODAY, reports=[other.pk])["trend"] == []
    assert [p["number"] for p in dashboard(user=office.auditor, today=TODAY)["trend"]] == [1, 2]


def test_several_reports_are_chosen_and_carried_in_every_link(mix, office, client, monkeypatch):
    monkeypatch.setattr(workflow_views, "_today", lambda: TODAY)
    client.force_login(office.auditor)
    url = reverse("findings:dashboard") + "?report=kanazawa-2024-dx&report=kanazawa-2021-citizen"
    response = client.get(url)
    assert response.context["n_findings"] == 35
    html = response.content.decode()
    assert html.count(" selected>") == 2
    rows = drawn_bars(html, "kind")
    for _, segments, _ in rows:
        for *_, href in segments:
            assert [v for k, v in query(href) if k == "report"] == ["kanazawa-2021-citizen", "kanazawa-2024-dx"]
    # one report: its links carry it, the 2021 report's 23 - 21 = 2 unassigned 意見 drop out
    html = client.get(reverse("findings:dashboard") + "?report=kanazawa-2024-dx").content.decode()
    rows = drawn_bars(html, "kind")
    assert rows[1][1][0][1] == 21 and ("report", "kanazawa-2024-dx") in query(rows[1][1][0][3])


def test_counted_kinds_and_every_done_status(mix, office):
    """#11: 措置済 is read from the city's status flags and kinds, never one label. A kind the city
    does not count (counted_in_status off) stays on the chart but leaves 計 and the 措置済率; a second
    status counted as done (here 措置しない) counts too."""
    from findings.models import FindingKindLabel

    FindingKindLabel.objects.filter(code="意見").update(counted_in_status=False)
    data = dashboard(user=office.auditor, today=TODAY)
    assert [(r["kind"], r["counted"], r["total"]) for r in data["table"]] == [("指摘", True, 3), ("意見", False, 32)]
    assert data["totals"] == EXPECTED_TABLE[0]["cells"]  # 指摘 alone
    assert (data["n_done"], data["n_findings"]) == (1, 3)  # 指摘01 of 指摘01–03
    FindingKindLabel.objects.filter(code="意見").update(counted_in_status=True)
    MeasureStatus.objects.filter(code=StatusCode.NOT_TAKING).update(is_done=True)
    data = dashboard(user=office.auditor, today=TODAY)
    assert data["n_done"] == EXPECTED_N_DONE + 2  # + 意見02, 意見05 (措置しない)


def test_kind_not_counted_is_marked_on_the_page(mix, office, client, monkeypatch):
    from findings.models import FindingKindLabel

    FindingKindLabel.objects.filter(code="意見").update(label="要望", counted_in_status=False)
    monkeypatch.setattr(workflow_views, "_today", lambda: TODAY)
    client.force_login(office.auditor)
    html = client.get(reverse("findings:dashboard")).content.decode()
    assert [label for label, _, _ in drawn_bars(html, "kind")] == ["指摘", "要望（集計外）"]
    # 計 counts 指摘 alone: its counts are not links (the list would show the 要望 too)
    assert "<strong>33.3%</strong>（1 / 3 件）" in html
    assert "要望は措置状況の集計に含めません" in html


def test_names_are_escaped_in_the_svg(mix, office, client, monkeypatch):
    office.sections["C"].bureau.__class__.objects.filter(pk=office.sections["C"].bureau_id).update(name="<市民&局>")
    monkeypatch.setattr(workflow_views, "_today", lambda: TODAY)
    client.force_login(office.auditor)
    html = client.get(reverse("findings:dashboard")).content.decode()
    assert "<市民&局>" not in html
    assert [label for label, _, _ in drawn_bars(html, "bureau")] == ["都市政策局", "<市民&局>"]


def test_the_page_keeps_the_strict_csp(page):
    """No style attribute and no script in the charts: the CSP allows neither."""
    html = page.content.decode()
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    assert "<svg" in main and " style=" not in main and "<script" not in main
    csp = page.headers["Content-Security-Policy"]
    assert "style-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_section_rows_link_to_the_section_list(page, office):
    html = page.content.decode()
    body = html.split("<h2>局・課別", 1)[1].split("</tbody>", 1)[0]
    section = office.sections["B"]
    assert f'<a href="/findings/?section={section.pk}">5</a>' in body
    assert f'<a href="/findings/?section={section.pk}&amp;overdue=1">2</a>' in body


def test_dashboard_query_count_with_charts_at_two_sizes(mix, office, report, client, published):
    """Several reports chosen and publications drawn: the same queries at both sizes, within the bound."""
    from tests.findings.test_perf_pages import BOUNDS
    from tests.query_counts import count_queries

    client.force_login(office.auditor)
    url = reverse("findings:dashboard") + "?report=kanazawa-2024-dx&report=kanazawa-2021-citizen"
    client.get(url)
    small, _ = count_queries(client, url)
    # larger: every remaining finding of the 2024 report assigned, overdue, and two more publications
    for f in Finding.objects.filter(report=report, measures__isnull=True):
        services.finding_assign(finding=f, sections=[office.sections["C"]], reply_by=FAR_PAST, by=office.auditor)
    from findings import publishing

    for number in (3, 4):
        publishing.publish(
            reports=[report], as_of=datetime.date.today(), per="finding", number=number,
            published_on=datetime.date.today() + datetime.timedelta(days=number), by=office.auditor,
            allow_same_content=True,
        )  # fmt: skip
    large, response = count_queries(client, url)
    assert len(response.context["trend"]) == 4 and sum(r["n"] for r in response.context["overdue_ages"]) > 4
    assert small == large <= BOUNDS["dashboard"]
