"""The data sheets of the Excel export: findings, measures with their history, systems and DX
budget lines of the reports in the status report. Rows are streamed (iterator) into the workbook's
temporary files, so memory stays bounded whatever the number of rows."""

import datetime
import itertools

from django.utils import timezone

from auditreg.wareki import format_date, format_fiscal_year
from auditreg.xlsx import CELL, HEAD, MONEY, STRONG, STRONG_MONEY
from budgets.models import DxField, DxLine
from systems.models import InformationSystem

from . import status_report
from .choices import ReportState
from .models import AuditReport, Finding, MeasureReport


def _people(prefix: str) -> list[str]:
    return [f"{prefix}__last_name", f"{prefix}__first_name", f"{prefix}__username"]


def _name(last, first, username) -> str:
    """User.display_name from the row's values (no model instance per row)."""
    if username is None:
        return ""
    return f"{last} {first}".strip() or username


def _dates():
    """format_date remembered per day: a sheet of 170,000 rows holds a few thousand distinct dates."""
    known: dict = {}

    def day(value) -> str:
        text = known.get(value)
        if text is None:
            text = known[value] = format_date(value)
        return text

    return day


def _moments(tz, day):
    """format_datetime for many rows: the zone looked up once (timezone.localtime per row was a tenth of the
    sheet's time) and the date part through `day` (a _dates()), so each distinct date is formatted once."""

    def moment(value) -> str:
        if value is None:
            return ""
        if timezone.is_aware(value):
            value = value.astimezone(tz)
        return f"{day(value.date())} {value.hour:02}:{value.minute:02}"

    return moment


def write_data_sheets(book, report):
    """The data sheets after the 措置状況 and 集計 sheets of `book` (auditreg.xlsx.Book). One query per sheet
    (two for the budget), whatever the number of reports and rows; rows are read as tuples, not model
    instances. Each sheet prints one page wide with its header row repeated."""
    codes = [r["code"] for r in report.reports]
    reports = list(AuditReport.objects.filter(code__in=codes))
    label = {r.pk: f"{format_fiscal_year(r.fiscal_year)}{r.kind}" for r in reports}  # not the internal code

    def sheet(name, columns, widths):
        ws = book.sheet(name, widths=widths, title_rows="1:1", freeze="A2", header=f"{report.title}　{name}")
        ws.append(columns, HEAD)
        return ws

    _findings_sheet(sheet, reports, label)
    _history_sheet(sheet, reports, report)
    _systems_sheet(sheet, reports)
    _budget_sheet(sheet, reports, codes)


def _findings_sheet(sheet, reports, label) -> None:
    """The 指摘・意見 sheet: the findings' verbatim texts, one query."""
    ws = sheet(
        "指摘・意見",
        ["報告書", "番号", "区分", "分野", "見出し", "表題", "頁", "① 検出事項", "② 問題点", "③ 指摘・意見"],
        [12, 7, 5, 8, 14, 20, 5, 50, 40, 50],
    )
    for values in (
        Finding.objects.filter(report__in=reports)
        .order_by("report__fiscal_year", "order")
        .values_list(
            "report_id",
            "code",
            "kind",
            "area",
            "group__title",
            "title",
            "page",
            "detected",
            "problem",
            "recommendation",
        )
        .iterator(chunk_size=2000)
    ):
        ws.append([label[values[0]], *(v if v is not None else "" for v in values[1:])])


def _history_sheet(sheet, reports, report) -> None:
    """The 措置履歴 sheet: the accepted reports up to the status report's date, one query."""
    ws = sheet(
        "措置履歴",
        [
            "番号",
            "局",
            "所管課",
            "報告日",
            "段階",
            "措置状況",
            "措置（対応）の内容",
            "措置年月日",
            "理由",
            "作成者",
            "承認者",
            "審査者",
            "審査日時",
            "監査事務局のコメント",
        ],
        [7, 12, 14, 13, 6, 10, 50, 13, 20, 9, 9, 9, 18, 24],
    )
    accepted = str(ReportState(ReportState.ACCEPTED).label)
    day = _dates()
    moment = _moments(timezone.get_current_timezone(), day)
    for v in (
        # the history as the audit office knew it on the report's date: accepted reports up to then
        MeasureReport.objects.filter(
            measure__finding__report__in=reports,
            state=ReportState.ACCEPTED,
            reviewed_at__lt=status_report.end_of_day(datetime.date.fromisoformat(report.as_of)),
        )
        .order_by(
            "measure__finding__report_id",
            "measure__finding__order",
            "measure__section__bureau__order",
            "measure__section__order",
            "drafted_at",
        )
        .values_list(
            "measure__finding__code",
            "measure__section__bureau__name",
            "measure__section__name",
            "reported_on",
            "status__label",
            "text",
            "completed_on",
            "reason",
            "reviewed_at",
            "review_comment",
            *_people("drafted_by"),
            *_people("approved_by"),
            *_people("reviewed_by"),
        )
        .iterator(chunk_size=2000)
    ):
        ws.append(
            [
                v[0],
                v[1],
                v[2],
                day(v[3]),
                accepted,
                v[4],
                v[5],
                day(v[6]),
                v[7],
                _name(*v[10:13]),
                _name(*v[13:16]),
                _name(*v[16:19]),
                moment(v[8]),
                v[9],
            ]
        )


def _systems_sheet(sheet, reports) -> None:
    """The 情報システム sheet: the reports' system lists, one query; no sheet for reports without one."""
    rows = (
        InformationSystem.objects.filter(report__in=reports)
        .order_by("report_id", "number")
        .values_list(
            "number",
            "section__bureau__name",
            "section__name",
            "name",
            "audited",
            "importance",
            "introduced_text",
            "cloud_text",
        )
        .iterator(chunk_size=2000)
    )
    first = next(rows, None)
    if first is None:
        return  # a report without an information system list (a subsidy audit, say) gets no empty sheet
    ws = sheet(
        "情報システム",
        ["No.", "局", "所管課", "システム名称", "監査対象", "重要度", "導入年度", "クラウド"],
        [6, 16, 22, 44, 8, 6, 12, 8],
    )
    for v in itertools.chain([first], rows):
        ws.append([v[0], v[1], v[2], v[3], "○" if v[4] else "", v[5], v[6], v[7]])


def _budget_sheet(sheet, reports, codes) -> None:
    """The DX予算 sheet: lines and the 分野 and overall totals, two queries; no sheet for reports
    without a DX budget."""
    # two queries for every report: the fields, then all their lines (each report's lines kept together)
    fields = list(DxField.objects.filter(report__in=reports).order_by("order"))
    if not fields:
        return
    ws = sheet(
        "DX予算",
        ["分野", "大項目", "小項目", "取組", "予算額（千円）", "決算額（千円）", "差額（千円）"],
        [8, 7, 7, 56, 14, 14, 14],
    )
    money = [CELL, CELL, CELL, CELL, MONEY, MONEY, MONEY]
    total = [STRONG, CELL, CELL, STRONG, STRONG_MONEY, STRONG_MONEY, STRONG_MONEY]
    lines_of: dict[int, list] = {}
    for line in DxLine.objects.filter(field__in=fields).order_by("field__order", "order"):
        lines_of.setdefault(line.field_id, []).append(line)
    fields_of: dict[int, list] = {}
    for f in fields:
        fields_of.setdefault(f.report_id, []).append(f)
    for audit in sorted(reports, key=lambda r: codes.index(r.code)):
        own = fields_of.get(audit.pk, [])
        for f in own:
            for line in lines_of.get(f.pk, []):
                ws.append(
                    [
                        f.name,
                        line.major_no,
                        line.minor_no,
                        line.title,
                        line.budget_thousand_yen,
                        line.actual_thousand_yen,
                        line.variance_thousand_yen,
                    ],
                    money,
                )
        # totals as values that match the report's 分野 table and its 合計
        for f in own:
            budget, actual = f.budget_thousand_yen, f.actual_thousand_yen
            ws.append([f.name, None, None, f"{f.name}合計", budget, actual, (budget or 0) - (actual or 0)], total)
        if own:
            budget = sum(f.budget_thousand_yen or 0 for f in own)
            actual = sum(f.actual_thousand_yen or 0 for f in own)
            ws.append(["合計", None, None, None, budget, actual, budget - actual], total)
