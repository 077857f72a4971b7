"""Rendering of the 措置状況 in the formats municipalities publish: Excel, PDF, CSV and a
standalone HTML page. Views and commands call these; nothing here reads the request."""

import csv
import datetime
import io
import logging
import re
from copy import copy
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.properties import PageSetupProperties

from auditreg.exports import safe_cell
from auditreg.wareki import format_date

from . import print_pages
from .status_report import COLUMNS, StatusReport, table_cells

logger = logging.getLogger(__name__)

FONT_PATH = Path(settings.BASE_DIR) / "static" / "fonts" / "ipaexg.ttf"
WIDTHS = [10, 6, 9, 34, 22, 52, 14, 16]  # 番号 … 措置年月日, in characters (Japanese text is wide)
THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
HEADER_FILL = PatternFill("solid", fgColor="DDE7F1")
FONT = Font(name="ＭＳ ゴシック", size=10)
BOLD = Font(name="ＭＳ ゴシック", size=10, bold=True)
TITLE = Font(name="ＭＳ ゴシック", size=14, bold=True)


_STYLE_CACHE: dict = {}


def _cell(ws, value, *, font=FONT, border=True, fill=None, align=WRAP, number_format=None):
    """A styled write-only cell. Styles are resolved once per combination and copied as a StyleArray:
    assigning Font/Border objects to every cell made a 20,000-row export ~10× slower."""
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # user text that looks like a formula stays text (no formula runs)
    key = (id(ws.parent), id(font), border, id(fill), id(align), number_format)
    style = _STYLE_CACHE.get(key)
    if style is None:
        cell.font = font
        cell.alignment = align
        if border:
            cell.border = BORDER
        if fill:
            cell.fill = fill
        if number_format:
            cell.number_format = number_format
        _STYLE_CACHE[key] = style = copy(cell._style)
    else:
        cell._style = copy(style)
    return cell


def _print_setup(ws, *, title_rows: str | None = None, widths=None):
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4 (openpyxl Worksheet.PAPERSIZE_A4)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = "&P / &N"
    if title_rows:
        ws.print_title_rows = title_rows
    for i, width in enumerate(widths or [], start=1):
        ws.column_dimensions[_col(i)].width = width


def _col(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i)


def _heading_rows(ws, report: StatusReport):
    main = report.reports[0]
    ws.append([_cell(ws, report.title, font=TITLE, border=False, align=Alignment())])
    ws.append([_cell(ws, f"テーマ：{main['theme']}", border=False, align=Alignment())])
    ws.append([_cell(ws, f"包括外部監査人：{main['auditor']}", border=False, align=Alignment())])
    published = f"報告書の公表：{main['published_on']}（{main['publication_number']}）" if main["published_on"] else ""
    ws.append([_cell(ws, published, border=False, align=Alignment())])
    ws.append([])


def render_xlsx(report: StatusReport, *, data_sheets: bool = True) -> bytes:
    wb = Workbook(write_only=True)
    _STYLE_CACHE.clear()  # style ids are per workbook
    ws = wb.create_sheet("措置状況")
    _print_setup(ws, title_rows="6:6", widths=WIDTHS)
    ws.freeze_panes = "A7"
    ws.oddHeader.center.text = f"{report.title}"
    _heading_rows(ws, report)
    ws.append([_cell(ws, c, font=BOLD, fill=HEADER_FILL) for c in COLUMNS])
    for row in report.rows:
        ws.append([_cell(ws, v) for v in table_cells(report, row)])

    summary = wb.create_sheet("集計")
    _print_setup(summary, widths=[10] + [14] * (len(report.labels) + 1))
    summary.append([_cell(summary, report.title, font=TITLE, border=False, align=Alignment())])
    summary.append([])
    summary.append([_cell(summary, v, font=BOLD, fill=HEADER_FILL) for v in ["区分", *report.labels, "計"]])
    for s in report.summary:
        summary.append(
            [
                _cell(summary, s["kind"], font=BOLD),
                *[_cell(summary, c) for c in s["counts"]],
                _cell(summary, s["total"]),
            ]
        )
    summary.append(
        [
            _cell(summary, "計", font=BOLD),
            *[_cell(summary, c) for c in report.totals],
            _cell(summary, report.n_findings),
        ]
    )
    summary.append([])
    rate = report.done_rate
    summary.append(
        [
            _cell(summary, "措置済率", font=BOLD),
            _cell(summary, rate / 100 if rate is not None else "—", number_format="0.0%"),
        ]
    )

    if data_sheets:
        from .report_data import write_data_sheets

        write_data_sheets(wb, report, cell=_cell, setup=_print_setup, header_font=BOLD, header_fill=HEADER_FILL)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


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
    sections = row.section.split("\n")
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
    import pydyf

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


def render_pdf(report: StatusReport, *, publication=None, changes=None) -> bytes:
    from weasyprint import HTML  # imported here: heavy, and only the PDF needs it

    for reserve in (print_pages.RESERVE_PT, print_pages.BODY_HEIGHT / 6):
        context = _context(report, for_print=True, publication=publication, changes=changes, reserve=reserve)
        html = render_to_string("findings/reports/status_report.html", context)
        document = HTML(string=html, base_url=str(settings.BASE_DIR)).render(**PDF_OPTIONS)
        if _pages_as_planned(document, len(context["pages"])):
            break
        logger.warning("措置状況 PDF: a page overflowed its plan; planned again with a larger reserve")
    return document.write_pdf(finisher=_no_versions, **PDF_OPTIONS)


RENDERERS = {
    "xlsx": (render_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pdf": (render_pdf, "application/pdf"),
    "csv": (render_csv, "text/csv; charset=utf-8"),
}


def filename(report: StatusReport, fmt: str) -> str:
    return f"措置状況_{report.as_of}.{fmt}"
