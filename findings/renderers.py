"""Rendering of the 措置状況 in the formats municipalities publish: Excel, PDF, CSV and a
standalone HTML page. Views and commands call these; nothing here reads the request."""

import contextlib
import csv
import datetime
import gc
import io
import logging
import re
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string

from auditreg import xlsx
from auditreg.exports import safe_cell
from auditreg.wareki import format_date

from . import pdf_direct, pdf_join, pdf_parallel, print_pages
from .report_data import write_data_sheets
from .status_report import COLUMNS, StatusReport, table_cells

logger = logging.getLogger(__name__)

FONT_PATH = Path(print_pages.FONT_PATH)
# 番号 … 措置年月日, in half-width characters of the body font: the 措置 column is the widest so that a
# long measure needs few rows; the sum (161) prints one A4 landscape page wide at about 92 %.
WIDTHS = [9, 5, 8, 32, 20, 64, 10, 13]
HEADER_ROW = 6  # the table's header row on the 措置状況 sheet (above it: title, theme, auditor, publications)


def render_xlsx(report: StatusReport, *, data_sheets: bool = True, publication: dict | None = None) -> bytes:
    """The 措置状況 sheet (print-ready: every row as tall as its text, a text longer than the tallest row Excel
    holds continues in the next row under 「番号（続き）」), the 集計 sheet and, for the office, the data sheets.
    `publication` ({"number", "published_on_wareki"}) adds the 公表番号 and 公表日 of a published workbook."""
    book = xlsx.Book()
    header = report.title + (f"　第{publication['number']}号" if publication else "")
    ws = book.sheet(
        "措置状況", widths=WIDTHS, title_rows=f"{HEADER_ROW}:{HEADER_ROW}", header=header, freeze=f"A{HEADER_ROW + 1}"
    )
    _heading_rows(ws, report, publication)
    ws.append(COLUMNS, xlsx.HEAD)
    head_height = xlsx.row_height(COLUMNS, ws.per_line) or 15
    # a text longer than half a page continues in the next row: Excel never splits a row across pages, so
    # pieces of at most half a page leave no page less than half full
    limit = min(xlsx.max_lines(), xlsx.page_lines(WIDTHS, reserved=head_height) // 2)
    for row in report.rows:
        cells = table_cells(report, row)
        pieces = [
            xlsx.split_text(v, n, limit) if isinstance(v, str) and v else [v]
            for v, n in zip(cells, ws.per_line, strict=True)
        ]
        ws.append([p[0] for p in pieces])
        for k in range(1, max(len(p) for p in pieces)):
            ws.append([f"{cells[0]}（続き）", *(p[k] if k < len(p) else "" for p in pieces[1:])])

    summary = book.sheet("集計", widths=[10] + [14] * (len(report.labels) + 1), header=header)
    summary.append([report.title], xlsx.TITLE, height=22)
    if publication:
        summary.append([_publication_line(publication)], xlsx.LINE, height=None)
    summary.blank()
    summary.append(["区分", *report.labels, "計"], xlsx.HEAD)
    for s in report.summary:
        summary.append([s["kind"], *s["counts"], s["total"]], [xlsx.STRONG] + [xlsx.CELL] * (len(s["counts"]) + 1))
    summary.append(["計", *report.totals, report.n_findings], [xlsx.STRONG] + [xlsx.CELL] * (len(report.totals) + 1))
    summary.blank()
    rate = report.done_rate
    summary.append(["措置済率", rate / 100 if rate is not None else "—"], [xlsx.STRONG, xlsx.PERCENT])

    if data_sheets:
        write_data_sheets(book, report)
    return book.save()


def _publication_line(publication: dict) -> str:
    return f"公表番号：第{publication['number']}号（{publication['published_on_wareki']}公表）"


def _heading_rows(ws, report: StatusReport, publication: dict | None):
    """Rows 1-5: title, theme, auditor, the report's own publication, and this one's number and date."""
    main = report.reports[0]
    ws.append([report.title], xlsx.TITLE, height=22)
    ws.append([f"テーマ：{main['theme']}"], xlsx.LINE, height=None)  # one line, running over the empty cells
    ws.append([f"包括外部監査人：{main['auditor']}"], xlsx.LINE, height=None)
    published = f"報告書の公表：{main['published_on']}（{main['publication_number']}）" if main["published_on"] else ""
    ws.append([published], xlsx.LINE, height=None)
    ws.append([_publication_line(publication) if publication else ""], xlsx.LINE, height=None)


def render_csv(report: StatusReport) -> bytes:
    """UTF-8 with BOM, CRLF: the same rows as the table, one header line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in report.rows:
        writer.writerow([safe_cell(v) for v in table_cells(report, row)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def print_cells(report: StatusReport, row) -> list[str]:
    """The printed row (PDF and the published HTML): the table's cells with 講じた措置 and
    今後の予定（完了予定） apart. 講じた措置 is the text of the latest accepted report; 今後の予定 is the
    完了予定日 of each measure still open (a completed one has its 措置年月日 in the last column)."""
    cells = table_cells(report, row)
    sections = [u["section"] for u in row.units]
    planned = row.planned_on.split("\n") if row.planned_on else []
    several = len([d for d in planned if d]) > 1 or (len(sections) > 1 and any(planned))
    lines = [
        f"【{s}】{_wareki(d)}" if several and s else _wareki(d) for s, d in zip(sections, planned, strict=False) if d
    ]
    return [*cells[:6], "\n".join(lines), *cells[6:]]


def _wareki(iso: str) -> str:
    return format_date(datetime.date.fromisoformat(iso))


def preamble(
    *, legal_basis: str = "", notifier: str = "", notified_on: datetime.date | None = None, commissioners=()
) -> dict:
    """The 前文 of a publication (地方自治法第252条の38第6項: the mayor notifies the 監査委員 of the
    measures taken, the 監査委員 publish them). Empty values fall back to settings.STATUS_REPORT_PREAMBLE."""
    defaults = getattr(settings, "STATUS_REPORT_PREAMBLE", {})
    names = [n.strip() for n in commissioners if n.strip()] or list(defaults.get("commissioners", []))
    return {
        "legal_basis": legal_basis.strip() or defaults.get("legal_basis", ""),
        "notifier": notifier.strip() or defaults.get("notifier", ""),
        "notified_on": notified_on.isoformat() if notified_on else "",
        "commissioners": names,
    }


def _preamble_lines(report: StatusReport, publication) -> list[tuple[str, str]]:
    """(css class, text) of each line of the 前文, as printed above the title."""
    p = report.preamble
    if not p:
        return []
    kind = report.reports[0]["kind"] if report.reports else "監査"
    dated = f"{_wareki(p['notified_on'])}付けで" if p.get("notified_on") else ""
    notifier = f"{p['notifier']}から" if p.get("notifier") else ""
    basis = f"{p['legal_basis']}の規定により、" if p.get("legal_basis") else ""
    text = f"\u3000{basis}{notifier}{dated}{kind}の結果に基づき講じた措置について通知があったので、"
    text += "次のとおり公表します。"
    lines = [("preamble", text)]
    if publication:
        lines.append(("preamble-date", f"\u3000{publication['published_on_wareki']}"))
    lines += [("preamble-name", name) for name in p.get("commissioners", [])]
    return lines


def _meta_lines(report: StatusReport, publication) -> list[str]:
    main = report.reports[0]
    lines = [f"テーマ：{main['theme']}"]
    if main["auditor"]:
        lines.append(f"包括外部監査人：{main['auditor']}")
    if main["published_on"]:
        lines.append(f"報告書の公表：{main['published_on']}（{main['publication_number']}）")
    lines += [f"併せて掲載：{r['fiscal_year']}{r['kind']}「{r['theme']}」の未完了分" for r in report.reports[1:]]
    if publication:
        lines.append(f"公表番号：第{publication['number']}号（{publication['published_on_wareki']}公表）")
    return lines


def _context(report: StatusReport, *, for_print: bool, publication, changes, reserve: float):
    rows = [print_cells(report, r) for r in report.rows]
    front = _preamble_lines(report, publication)
    meta = _meta_lines(report, publication)
    if for_print:
        used = print_pages.front_matter_height(report.title, [t for _, t in front] + meta)
        if front:
            used += print_pages.GAP_PT
        pages = print_pages.paginate(rows, first_page_used=used, reserve=reserve)
    else:
        pages = [print_pages.Page([print_pages.Piece(cells) for cells in rows])]
    return {
        "report": report,
        "columns": print_pages.header_cells() if for_print else print_pages.screen_columns(),
        "centered": print_pages.CENTERED,
        "pages": pages,
        "preamble": front,
        "meta": meta,
        "for_print": for_print,
        "font_url": FONT_PATH.as_uri(),
        "geometry": print_pages,
        "publication": publication,
        "changes": changes,
        "generated": format_date(datetime.date.today()),
    }


def render_html(report: StatusReport, *, for_print: bool = False, publication=None, changes=None) -> str:
    return render_to_string(
        "findings/reports/status_report.html",
        _context(report, for_print=for_print, publication=publication, changes=changes, reserve=print_pages.RESERVE_PT),
    )


PDF_OPTIONS = {"pdf_variant": "pdf/ua-1"}  # tagged (structure tree, /MarkInfo), for JIS X 8341-3
PRODUCER = "auditreg"


def _no_versions(document, pdf):
    """WeasyPrint writes its version into /Producer and the XMP metadata; the published file names
    no software versions (they tell an attacker what to look for)."""
    import pydyf  # imported here: WeasyPrint's PDF writer, needed only with it (render_pdf)

    pdf.info["Producer"] = pydyf.String(PRODUCER)
    for obj in pdf.objects:
        if isinstance(obj, pydyf.Stream) and obj.extra.get("Type") == "/Metadata":
            obj.stream = [
                re.sub(rb"WeasyPrint [0-9][0-9.a-z]*", PRODUCER.encode(), part) if isinstance(part, bytes) else part
                for part in obj.stream
            ]


def _pages_as_planned(document, n_pages: int) -> bool:
    """Every planned page came out as one printed page: the last row of planned page k is on page k."""
    where = {name: i for i, page in enumerate(document.pages) for name in page.anchors}
    return all(where.get(f"page-{k}-end") == k for k in range(n_pages))


# A report of FRAMED_PAGES planned pages or more is written in three parts, joined (findings.pdf_join):
# its first page (title block, preamble) and its last (with the summary after the table) laid out by
# WeasyPrint, and the table pages between them written directly (findings.pdf_direct), which costs
# microseconds a line where WeasyPrint's layout costs about a millisecond. Where a second process can be
# forked (findings.pdf_parallel), the two WeasyPrint parts are laid out there meanwhile.
FRAMED_PAGES = 3


@contextlib.contextmanager
def _fewer_collections():
    """WeasyPrint makes millions of short-lived objects; with the default thresholds the collector ran
    through the whole heap again and again (a fifth of the CPU time of a 300-row PDF). The objects alive
    before are frozen out of its sight and it runs less often; each part is collected once, after it.
    (A higher threshold was no faster and let a 3,000-row PDF grow to 600 MB.)"""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(20_000, 20, 10)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
        gc.collect()  # the render's garbage goes now, not frozen by the next render


def render_pdf(report: StatusReport, *, publication=None, changes=None) -> bytes:
    with _fewer_collections():
        return _render_pdf(report, publication=publication, changes=changes)


def _render_pdf(report: StatusReport, *, publication=None, changes=None) -> bytes:
    from weasyprint import HTML  # imported here: heavy, and only the PDF needs it

    def layout(context, *, final=False):
        html = render_to_string("findings/reports/status_report.html", context)
        document = HTML(string=html, base_url=str(settings.BASE_DIR)).render(**PDF_OPTIONS)
        return document if final or _pages_as_planned(document, len(context["pages"])) else None

    reserves = (print_pages.RESERVE_PT, print_pages.BODY_HEIGHT / 6)
    for reserve in reserves:
        final = reserve == reserves[-1]
        context = _context(report, for_print=True, publication=publication, changes=changes, reserve=reserve)
        if len(context["pages"]) >= FRAMED_PAGES:
            content = _render_framed(context, layout)
            if content is not None:
                return content
        # one document: the short ones, and a long one whose plan overflowed even the larger reserve
        # (never seen: then it is printed as laid out, in one piece)
        if len(context["pages"]) < FRAMED_PAGES or final:
            document = layout(context, final=final)
            if document is not None:
                return document.write_pdf(finisher=_no_versions, **PDF_OPTIONS)
        logger.warning("措置状況 PDF: a page overflowed its plan; planned again with a larger reserve")
    raise AssertionError("unreachable")


def _render_framed(context: dict, layout) -> bytes | None:
    """The first planned page with the title block and the last with what follows the table, laid out by
    WeasyPrint; the pages between written by findings.pdf_direct; page numbers running on ("n / N" with N
    the whole document's count). N is known first: the last planned page is laid out once with what
    follows the table (which may start a page of its own). None if a page overflowed its plan."""
    pages = context["pages"]
    report = context["report"]

    def part(start: int, stop: int, total: int):
        return context | {
            "pages": pages[start:stop],
            "front": start == 0,
            "back": stop >= len(pages),
            "first_page": start + 1,
            "total_pages": total,
            "running_title": _css_string(report.title),
        }

    # the last planned page and what follows the table, numbered as if that fits on the page (it mostly
    # does: then this is the last part as printed); if it ran on, laid out again with the real count
    guess = len(pages)
    tail = layout(part(len(pages) - 1, len(pages), guess))
    if tail is None:
        return None
    total = len(pages) - 1 + len(tail.pages)
    back = _written(tail) if total == guess else None
    del tail

    def laid_out(start: int, stop: int):
        def run():
            document = layout(part(start, stop, total))
            if document is None:
                return None
            return _written(document)  # one page or two: collected with the rest at the end (_fewer_collections)

        return run

    def direct():
        content = pdf_direct.render(
            pages[1:-1], title=report.title, as_of_wareki=report.as_of_wareki, first_number=2, total=total
        )
        return content, []

    # the second process takes the job at even places (the first page, and the last if it is to be laid
    # out again); this one writes the table pages
    jobs = [laid_out(0, 1), direct] + ([] if back else [laid_out(len(pages) - 1, len(pages))])
    written, _forked = pdf_parallel.run(jobs)
    if back:
        written.append(back)
    if any(w is None for w in written):
        return None
    return pdf_join.join([c for c, _ in written], [b for _, b in written], producer=PRODUCER)


def _written(document) -> tuple[bytes, list]:
    marks = [
        (level, label, k, x, y) for k, page in enumerate(document.pages) for level, label, (x, y), _ in page.bookmarks
    ]
    return document.write_pdf(finisher=_no_versions, **PDF_OPTIONS), marks


def _css_string(text: str) -> str:
    """`text` as a CSS string literal (quotes, backslashes, line ends and "<" escaped)."""
    return '"' + "".join(f"\\{ord(c):x} " if c in '"\\<>' or ord(c) < 32 else c for c in text) + '"'


RENDERERS = {
    "xlsx": (render_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pdf": (render_pdf, "application/pdf"),
    "csv": (render_csv, "text/csv; charset=utf-8"),
}


def filename(report: StatusReport, fmt: str) -> str:
    return f"措置状況_{report.as_of}.{fmt}"
