"""Rendering of the 措置状況 in the formats municipalities publish: Excel, PDF, CSV and a
standalone HTML page. Views and commands call these; nothing here reads the request."""

import csv
import datetime
import io
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string

from auditreg import xlsx
from auditreg.exports import safe_cell
from auditreg.wareki import format_date

from .status_report import COLUMNS, StatusReport, table_cells

FONT_PATH = Path(settings.BASE_DIR) / "static" / "fonts" / "ipaexg.ttf"
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
        from .report_data import write_data_sheets

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


def render_html(report: StatusReport, *, for_print: bool = False, publication=None, changes=None) -> str:
    return render_to_string(
        "findings/reports/status_report.html",
        {
            "report": report,
            "columns": COLUMNS,
            "rows": [table_cells(report, r) for r in report.rows],
            "for_print": for_print,
            "font_url": FONT_PATH.as_uri(),
            "publication": publication,
            "changes": changes,
            "generated": format_date(datetime.date.today()),
        },
    )


def render_pdf(report: StatusReport, *, publication=None) -> bytes:
    from weasyprint import HTML  # imported here: heavy, and only the PDF needs it

    html = render_html(report, for_print=True, publication=publication)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


RENDERERS = {
    "xlsx": (render_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pdf": (render_pdf, "application/pdf"),
    "csv": (render_csv, "text/csv; charset=utf-8"),
}


def filename(report: StatusReport, fmt: str) -> str:
    return f"措置状況_{report.as_of}.{fmt}"
