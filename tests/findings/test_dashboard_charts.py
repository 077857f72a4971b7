"""The dashboard's charts (issue #14 point 5), each drawing against the numbers it draws: the 区分 and 局
charts, the overdue ages and the trend of each publication, against the hand-made count of
tests/findings/dashboard_helpers.py; the chosen reports carried in every link, escaping, the strict CSP
and the page's query count at two sizes."""

import datetime
import re

import pytest
from django.urls import reverse

from findings import dashboard_cache, services, workflow_views
from findings.choices import StatusCode
from findings.dashboard_selectors import dashboard
from findings.models import AuditReport, Finding, Measure, MeasureStatus
from tests.checkboxes import checkboxes

from .dashboard_helpers import EXPECTED_N_DONE, EXPECTED_TABLE, FAR_PAST, LABELS, TODAY, cells

pytestmark = pytest.mark.django_db

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
    assert sorted(b.value for b in checkboxes(html, "report") if b.checked) == [
        "kanazawa-2021-citizen",
        "kanazawa-2024-dx",
    ]
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
    """Several reports chosen and publications drawn: the same queries at both sizes, within the bound,
    for the page drawn and for its repeat (kept between requests)."""
    from tests.findings.test_perf_pages import BOUNDS
    from tests.query_counts import count_queries

    client.force_login(office.auditor)
    url = reverse("findings:dashboard") + "?report=kanazawa-2024-dx&report=kanazawa-2021-citizen"
    client.get(url)
    dashboard_cache.forget()  # drawn, then kept (findings.dashboard_cache)
    small, _ = count_queries(client, url)
    small_kept, _ = count_queries(client, url)
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
    dashboard_cache.forget()
    large, response = count_queries(client, url)
    assert len(response.context["trend"]) == 4 and sum(r["n"] for r in response.context["overdue_ages"]) > 4
    large_kept, _ = count_queries(client, url)
    assert small == large <= BOUNDS["dashboard"]
    assert small_kept == large_kept == 3  # session, user, the data's version
