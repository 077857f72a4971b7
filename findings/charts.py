"""The dashboard's charts, drawn on the server as inline SVG: no script, no style attribute (the CSP
allows neither), colours as SVG presentation attributes. Hand-rolled (a few rectangles, a polyline
and text) rather than a charting library: nothing to load in the browser, nothing to vet.

Every chart is an <svg role="img"> with a <title> and a <desc>, and over it a second, aria-hidden
<svg> of the same size holding the bars' links (see _links_layer); its figures are also in the data
table the page prints beside it (the accessible reading), whose links go to the same lists. Each bar
segment carries data-value (the count it draws) so that tests can check the drawing against the
numbers."""

import html
import itertools
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.safestring import mark_safe

WIDTH = 400  # viewBox units; the CSS draws the SVG at 100% of its column (fits a 390 px screen)
FONT = 14
BAR = 18  # a bar's thickness
LABEL_GAP = 4
ROW = FONT + LABEL_GAP + BAR + 12  # a label line above each bar, the bar, a gap
VALUE_SPACE = 48  # room right of the longest bar for its total
LEGEND_ROW = FONT + 10

# one colour per series, in series order (colour-blind safe: Okabe–Ito), then repeated
PALETTE = ("#999999", "#e69f00", "#56b4e9", "#0072b2", "#009e73", "#cc79a7", "#d55e00", "#f0e442")

OVERDUE_COLOUR = ("#d55e00",)

_ids = itertools.count(1)


def escape(value) -> str:
    """django.utils.html.escape's output, without its lazy-string wrapper (hundreds of calls per chart)."""
    return html.escape(str(value))


def _text_width(text: str) -> float:
    """About how wide `text` is at FONT: full-width characters a font size, others about half."""
    return sum(FONT if ord(ch) > 0x2E7F else FONT * 0.6 for ch in text)


def _legend(series: list[str], colours) -> tuple[list[str], float]:
    """Legend items laid out in rows that wrap at WIDTH; returns (svg parts, height)."""
    parts, x, y = [], 0.0, 0.0
    for i, name in enumerate(series):
        w = 14 + _text_width(name) + 14
        if x and x + w > WIDTH:
            x, y = 0.0, y + LEGEND_ROW
        parts.append(
            f'<rect x="{x:g}" y="{y + 1:g}" width="11" height="11" fill="{colours[i % len(colours)]}"/>'
            f'<text x="{x + 14:g}" y="{y + 11:g}" class="chart-legend">{escape(name)}</text>'
        )
        x += w
    return parts, (y + LEGEND_ROW if series else 0.0)


def _open(title: str, desc: str, height: float, kind: str) -> tuple[str, str]:
    n = next(_ids)
    t, d = f"chart-{n}-title", f"chart-{n}-desc"
    head = (
        f'<div class="chart-box"><svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="{escape(kind)}" '
        f'role="img" aria-labelledby="{t} {d}" viewBox="0 0 {WIDTH} {height:g}" width="{WIDTH}" '
        f'height="{height:g}" font-size="{FONT}"><title id="{t}">{escape(title)}</title><desc id="{d}">'
        f"{escape(desc)}</desc>"
    )
    return head, "</svg>"


def _links_layer(kind: str, height: float, links: list[str]) -> str:
    """The clickable layer over the picture: the same viewBox, transparent shapes inside links. It is
    aria-hidden and its links are out of the tab order: role="img" makes the picture's children
    presentational (links inside it would be nested interactive content), and the table beside the
    chart carries the same links for keyboard and screen-reader users."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-links" data-links-for="{escape(kind)}" '
        f'aria-hidden="true" focusable="false" viewBox="0 0 {WIDTH} {height:g}" width="{WIDTH}" '
        f'height="{height:g}">{"".join(links)}</svg></div>'
    )


def _link(href: str | None, shape: str, tip: str) -> str:
    if not href:
        return ""
    return f'<a href="{escape(href)}" tabindex="-1">{shape[:-2]}><title>{escape(tip)}</title>{_closing(shape)}</a>'


def _closing(shape: str) -> str:
    return "</" + shape[1:].split(" ", 1)[0] + ">"


def bar_chart(
    *, title: str, desc: str, series: list[str], rows: list[dict], kind: str = "bars", colours=PALETTE
) -> str:
    """Horizontal bars, stacked by series: rows [{"label", "segments": [(value, href or None)] per
    series, "total_href"}]. Every bar is drawn to one scale (the longest row fills the width); the
    row's total is printed after it. A segment of 0 is not drawn. Each segment and total links to
    its href through the links layer."""
    legend, legend_h = _legend(series, colours) if len(series) > 1 else ([], 0.0)
    top = legend_h + 4
    height = top + ROW * len(rows) + 4
    longest = max((sum(v for v, _ in r["segments"]) for r in rows), default=0)
    scale = (WIDTH - VALUE_SPACE) / longest if longest else 0.0
    head, tail = _open(title, desc, height, kind)
    parts = [head, f'<g class="chart-legend-group">{"".join(legend)}</g>' if legend else ""]
    links = []
    for i, row in enumerate(rows):
        y = top + i * ROW
        bar_y = y + FONT + LABEL_GAP
        label = escape(row["label"])
        parts.append(
            f'<g class="chart-row" data-label="{label}"><text x="0" y="{y + FONT:g}" class="chart-label">{label}</text>'
        )
        links.append(f'<g class="chart-row" data-label="{label}">')
        x = 0.0
        for j, (value, href) in enumerate(row["segments"]):
            if not value:
                continue
            w = value * scale
            name = escape(series[j] if j < len(series) else "")
            geometry = f'x="{x:.2f}" y="{bar_y:g}" width="{w:.2f}" height="{BAR}"'
            marks = f'data-series="{name}" data-value="{int(value)}"'
            parts.append(f'<rect {geometry} fill="{colours[j % len(colours)]}" {marks}/>')
            links.append(
                _link(
                    href,
                    f'<rect {geometry} fill="#000000" fill-opacity="0" {marks}/>',
                    f"{row['label']}・{series[j] if j < len(series) else ''}：{int(value)}件",
                )
            )
            x += w
        total = int(sum(v for v, _ in row["segments"]))
        parts.append(f'<text x="{x + 4:.2f}" y="{bar_y + BAR - 3:g}" class="chart-value">{total}</text>')
        text_w = _text_width(str(total)) + 4
        links.append(
            _link(
                row.get("total_href"),
                f'<rect x="{x + 2:.2f}" y="{bar_y:g}" width="{text_w:.2f}" height="{BAR}" fill="#000000" '
                f'fill-opacity="0" data-total="{total}"/>',
                f"{row['label']}：計 {total}件",
            )
        )
        parts.append("</g>")
        links.append("</g>")
    parts.append(tail)
    parts.append(_links_layer(kind, height, links))
    return mark_safe("".join(parts))  # noqa: S308 - every text and attribute escaped above


# the trend chart's plot area, in viewBox units
PLOT_LEFT, PLOT_TOP, PLOT_HEIGHT = 40, 10, 160
PLOT_WIDTH = WIDTH - PLOT_LEFT - 26  # room for the last label under the axis


def point_y(rate: float) -> float:
    """Where a 措置済率 (0–100) is drawn: 100% at the plot's top, 0% at its bottom."""
    return PLOT_TOP + PLOT_HEIGHT * (1 - rate / 100)


def trend_chart(*, title: str, desc: str, points: list[dict]) -> str:
    """The 措置済率 per publication as a line: points [{"label", "rate" (0–100 or None), "href"}], in
    order. A point without a rate (nothing to count) is left out of the line."""
    height = PLOT_TOP + PLOT_HEIGHT + 28
    head, tail = _open(title, desc, height, "trend")
    parts, links = [head], []
    for pct in (0, 25, 50, 75, 100):
        y = point_y(pct)
        parts.append(
            f'<line x1="{PLOT_LEFT}" y1="{y:g}" x2="{PLOT_LEFT + PLOT_WIDTH}" y2="{y:g}" stroke="#cccccc" '
            f'stroke-width="1"/><text x="{PLOT_LEFT - 4}" y="{y + 4:g}" text-anchor="end" class="chart-axis">'
            f"{pct}%</text>"
        )
    n = len(points)
    step = PLOT_WIDTH / (n - 1) if n > 1 else 0.0
    xs = [PLOT_LEFT + (i * step if n > 1 else PLOT_WIDTH / 2) for i in range(n)]
    line = [f"{x:.2f},{point_y(p['rate']):.2f}" for x, p in zip(xs, points, strict=True) if p["rate"] is not None]
    if len(line) > 1:
        parts.append(f'<polyline points="{" ".join(line)}" fill="none" stroke="{PALETTE[4]}" stroke-width="2"/>')
    every = max(1, -(-n // 6))  # at most about six labels under the axis
    for i, (x, p) in enumerate(zip(xs, points, strict=True)):
        if i % every == 0 or i == n - 1:
            parts.append(
                f'<text x="{x:.2f}" y="{PLOT_TOP + PLOT_HEIGHT + 18}" text-anchor="middle" class="chart-axis">'
                f"{escape(p['label'])}</text>"
            )
        if p["rate"] is None:
            continue
        centre = f'cx="{x:.2f}" cy="{point_y(p["rate"]):.2f}"'
        marks = f'data-value="{p["rate"]:.1f}" data-label="{escape(p["label"])}"'
        parts.append(f'<circle {centre} r="5" fill="{PALETTE[4]}" {marks}/>')
        links.append(
            _link(
                p.get("href"),
                f'<circle {centre} r="9" fill="#000000" fill-opacity="0" {marks}/>',
                f"{p['label']}：{p['rate']:.1f}%",
            )
        )
    parts.append(tail)
    parts.append(_links_layer("trend", height, links))
    return mark_safe("".join(parts))  # noqa: S308 - every text and attribute escaped above


# -- the dashboard's four charts and the links of their tables -------------------------------------

UNASSIGNED_PARAM = "unassigned"  # the findings list's status value for 未割当 (a status code otherwise)


class ListLinks:
    """Links to the findings list filtered as a count counts: the chosen reports (repeated
    ?report=<code>) and status=<code>, kind=<code>, bureau=<id>, section=<id>, overdue=1. The list's
    path is reversed once per page (hundreds of links: reverse() per link was a quarter of the page)."""

    def __init__(self, report_codes):

        self.base = reverse("findings:finding_list")
        self.reports = urlencode([("report", code) for code in report_codes])

    def __call__(self, **params) -> str:
        query = "&".join(
            q for q in (self.reports, urlencode({k: v for k, v in params.items() if v not in (None, "")})) if q
        )
        return f"{self.base}?{query}" if query else self.base

    def section(self, section_id: int, *, overdue: bool = False) -> str:
        """The per-section rows' links (a few hundred), without urlencode: an integer and constants."""
        head = f"{self.base}?{self.reports}&" if self.reports else f"{self.base}?"
        return f"{head}section={int(section_id)}{'&overdue=1' if overdue else ''}"


def status_param(code: str) -> str:
    return code or UNASSIGNED_PARAM


def dashboard_charts(data: dict, report_codes: list[str]) -> dict:
    """Adds the links of every count to the dashboard's figures (data, from dashboard_selectors.dashboard)
    and draws its four charts; returns the charts by name."""
    _add_links(data, ListLinks(report_codes))
    return _draw(data)


def _add_links(data: dict, link: ListLinks) -> None:
    """Every count's link to the findings list it counts, and the (count, link) pairs for the tables."""
    codes, labels = data["codes"], data["labels"]
    all_counted = all(row["counted"] for row in data["table"])
    for row in data["table"]:
        row["links"] = [link(kind=row["code"], status=status_param(c)) for c in codes]
        row["total_link"] = link(kind=row["code"])
    # 計 counts the counted kinds only: its cells link where that is every kind
    data["total_links"] = [link(status=status_param(c)) if all_counted else None for c in codes]
    data["all_link"] = link() if all_counted else None
    data["done_link"] = link(status=data["done_codes"][0]) if all_counted and len(data["done_codes"]) == 1 else None
    status_codes, status_labels = codes[1:], labels[1:]
    # (count, link) pairs for the tables beside the charts
    for row in data["table"]:
        row["cells_links"] = list(zip(row["cells"], row["links"], strict=True))
    data["totals_links"] = list(zip(data["totals"], data["total_links"], strict=True))
    data["status_labels"] = status_labels
    data["not_counted_kinds"] = [row["kind"] for row in data["table"] if not row["counted"]]
    for row in data["by_bureau"]:
        row["links"] = [link(bureau=row["bureau_id"], status=c) for c in status_codes]
        row["total_link"] = link(bureau=row["bureau_id"])
        row["cells_links"] = list(zip(row["cells"], row["links"], strict=True))
    overdue_link = link(overdue=1)
    for row in data["overdue_ages"]:
        row["link"] = overdue_link
    data["overdue_link"] = overdue_link
    data["n_overdue_findings"] = sum(r["n"] for r in data["overdue_ages"])
    for p in data["trend"]:
        p["link"] = reverse("findings:publication_page", args=[p["number"]])
    for row in data["per_section"]:
        row["links"] = {
            "total": link.section(row["section_id"]),
            "overdue": link.section(row["section_id"], overdue=True),
        }


def _draw(data: dict) -> dict:
    labels, status_labels = data["labels"], data["status_labels"]
    return {
        "kind": bar_chart(
            title="区分別の措置状況",
            desc="区分ごとに、指摘・意見の件数を措置状況別に積み上げた横棒グラフ。数値は右の表のとおり。",
            series=labels,
            rows=[
                {
                    "label": row["kind"] if row["counted"] else f"{row['kind']}（集計外）",
                    "segments": list(zip(row["cells"], row["links"], strict=True)),
                    "total_href": row["total_link"],
                }
                for row in data["table"]
            ],
            kind="kind",
        ),
        "bureau": bar_chart(
            title="局別の措置状況",
            desc="割当先の局ごとに、指摘・意見の件数を措置状況別に積み上げた横棒グラフ"
            "（二つの局に割り当てた指摘・意見は両方に数える）。数値は右の表のとおり。",
            series=status_labels,
            colours=PALETTE[1:],  # each status in the colour it has on the 区分 chart (no 未割当 here)
            rows=[
                {
                    "label": row["name"],
                    "segments": list(zip(row["cells"], row["links"], strict=True)),
                    "total_href": row["total_link"],
                }
                for row in data["by_bureau"]
            ],
            kind="bureau",
        ),
        "overdue": bar_chart(
            title="回答期限の超過日数",
            desc="回答期限を過ぎた措置のある指摘・意見の件数を、最も古い期限からの超過日数別に表した横棒グラフ。",
            series=["期限超過"],
            colours=OVERDUE_COLOUR,
            rows=[
                {"label": row["label"], "segments": [(row["n"], row["link"])], "total_href": row["link"]}
                for row in data["overdue_ages"]
            ],
            kind="overdue",
        ),
        "trend": trend_chart(
            title="措置済率の推移",
            desc="公表ごとの措置済率（公表した時点の値）の折れ線グラフ。数値は右の表のとおり。",
            points=[{"label": f"第{p['number']}号", "rate": p["rate"], "href": p["link"]} for p in data["trend"]],
        ),
    }


def _count_cell(n: int, href: str | None) -> str:
    n = int(n)
    return f'<td class="num"><a href="{escape(href)}">{n}</a></td>' if href else f'<td class="num">{n}</td>'


def kind_table_rows(data: dict) -> str:
    """The body of the 区分 × 措置状況 table beside its chart, built in Python (as the page's other
    long tables: the template language costs more than the rows' SQL)."""
    rows = []
    for row in data["table"]:
        mark = "" if row["counted"] else '<span class="muted">（集計外）</span>'
        rows.append(
            f'<tr><th scope="row">{escape(row["kind"])}{mark}</th>'
            + "".join(_count_cell(n, href) for n, href in row["cells_links"])
            + _count_cell(row["total"], row["total_link"])
            + "</tr>"
        )
    rows.append(
        '<tr class="total"><th scope="row">計</th>'
        + "".join(_count_cell(n, href) for n, href in data["totals_links"])
        + _count_cell(data["n_findings"], data["all_link"])
        + "</tr>"
    )
    return mark_safe("".join(rows))  # noqa: S308 - names escaped, the rest integers


def bureau_table_rows(data: dict) -> str:
    """The body of the 局別 table beside its chart (a row per 局, dozens), built in Python."""
    rows = [
        f'<tr><th scope="row">{escape(row["name"])}</th>'
        + "".join(_count_cell(n, href) for n, href in row["cells_links"])
        + _count_cell(row["total"], row["total_link"])
        + "</tr>"
        for row in data["by_bureau"]
    ]
    if not rows:
        rows = [f'<tr><td colspan="{len(data["codes"]) + 1}" class="muted">まだ割当はありません。</td></tr>']
    return mark_safe("".join(rows))  # noqa: S308 - names escaped, the rest integers
