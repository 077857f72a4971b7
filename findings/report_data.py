"""The data sheets of the Excel export: findings, measures with their history, systems and DX
budget lines of the reports in the status report. Rows are streamed (iterator) into a write-only
workbook, so memory stays bounded whatever the number of rows."""

import datetime

from django.utils import timezone

from auditreg.wareki import format_date
from budgets.models import DxField, DxLine
from systems.models import InformationSystem

from . import status_report
from .choices import ReportState
from .models import AuditReport, Finding, MeasureReport


def write_data_sheets(wb, report, *, cell, setup, header_font, header_fill):
    codes = [r["code"] for r in report.reports]
    reports = list(AuditReport.objects.filter(code__in=codes))

    def header(ws, names, widths):
        setup(ws, title_rows="1:1", widths=widths)
        ws.freeze_panes = "A2"
        ws.append([cell(ws, n, font=header_font, fill=header_fill) for n in names])

    ws = wb.create_sheet("指摘・意見")
    header(
        ws,
        ["報告書", "番号", "区分", "分野", "見出し", "表題", "頁", "① 検出事項", "② 問題点", "③ 指摘・意見"],
        [14, 8, 6, 10, 24, 30, 6, 60, 40, 60],
    )
    for f in (
        Finding.objects.filter(report__in=reports)
        .select_related("report", "group")
        .order_by("report__fiscal_year", "order")
        .iterator(chunk_size=2000)
    ):
        ws.append(
            [
                cell(ws, v)
                for v in (
                    f.report.code,
                    f.code,
                    f.kind,
                    f.area,
                    f.group.title if f.group else "",
                    f.title,
                    f.page,
                    f.detected,
                    f.problem,
                    f.recommendation,
                )
            ]
        )

    ws = wb.create_sheet("措置履歴")
    header(
        ws,
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
        [8, 14, 18, 16, 14, 14, 50, 16, 30, 12, 12, 12, 18, 30],
    )
    for r in (
        # the history as the audit office knew it on the report's date: accepted reports up to then
        MeasureReport.objects.filter(
            measure__finding__report__in=reports,
            state=ReportState.ACCEPTED,
            reviewed_at__lt=status_report.end_of_day(datetime.date.fromisoformat(report.as_of)),
        )
        .select_related(
            "measure__finding", "measure__section__bureau", "status", "drafted_by", "approved_by", "reviewed_by"
        )
        .order_by(
            "measure__finding__report_id",
            "measure__finding__order",
            "measure__section__bureau__order",
            "measure__section__order",
            "drafted_at",
        )
        .iterator(chunk_size=2000)
    ):
        ws.append(
            [
                cell(ws, v)
                for v in (
                    r.measure.finding.code,
                    r.measure.section.bureau.name,
                    r.measure.section.name,
                    format_date(r.reported_on),
                    r.get_state_display(),
                    r.status.label,
                    r.text,
                    format_date(r.completed_on),
                    r.reason,
                    r.drafted_by.display_name,
                    r.approved_by.display_name if r.approved_by else "",
                    r.reviewed_by.display_name if r.reviewed_by else "",
                    timezone.localtime(r.reviewed_at).strftime("%Y-%m-%d %H:%M") if r.reviewed_at else "",
                    r.review_comment,
                )
            ]
        )

    ws = wb.create_sheet("情報システム")
    header(
        ws,
        ["No.", "局", "所管課", "システム名称", "監査対象", "重要度", "導入年度", "クラウド"],
        [6, 16, 22, 44, 8, 6, 12, 8],
    )
    for s in (
        InformationSystem.objects.filter(report__in=reports)
        .select_related("section__bureau")
        .order_by("report_id", "number")
        .iterator(chunk_size=2000)
    ):
        ws.append(
            [
                cell(ws, v)
                for v in (
                    s.number,
                    s.section.bureau.name,
                    s.section.name,
                    s.name,
                    "○" if s.audited else "",
                    s.importance,
                    s.introduced_text,
                    s.cloud_text,
                )
            ]
        )

    ws = wb.create_sheet("DX予算")
    header(
        ws,
        ["分野", "大項目", "小項目", "取組", "予算額（千円）", "決算額（千円）", "差額（千円）"],
        [8, 7, 7, 56, 14, 14, 14],
    )
    money = "#,##0;-#,##0;0"
    for audit in sorted(reports, key=lambda r: codes.index(r.code)):  # each report's lines kept together
        fields = list(DxField.objects.filter(report=audit).order_by("order"))
        lines = DxLine.objects.filter(field__in=fields).select_related("field").order_by("field__order", "order")
        for line in lines:
            ws.append(
                [
                    cell(ws, line.field.name),
                    cell(ws, line.major_no),
                    cell(ws, line.minor_no),
                    cell(ws, line.title),
                    cell(ws, line.budget_thousand_yen, number_format=money),
                    cell(ws, line.actual_thousand_yen, number_format=money),
                    cell(ws, line.variance_thousand_yen, number_format=money),
                ]
            )
        # totals as values that match the report's 分野 table and its 合計
        for f in fields:
            ws.append(
                [
                    cell(ws, f.name),
                    cell(ws, None),
                    cell(ws, None),
                    cell(ws, f"{f.name}合計", font=header_font),
                    cell(ws, f.budget_thousand_yen, number_format=money),
                    cell(ws, f.actual_thousand_yen, number_format=money),
                    cell(ws, (f.budget_thousand_yen or 0) - (f.actual_thousand_yen or 0), number_format=money),
                ]
            )
        if fields:
            budget = sum(f.budget_thousand_yen or 0 for f in fields)
            actual = sum(f.actual_thousand_yen or 0 for f in fields)
            ws.append(
                [
                    cell(ws, "合計", font=header_font),
                    cell(ws, None),
                    cell(ws, None),
                    cell(ws, None),
                    cell(ws, budget, number_format=money),
                    cell(ws, actual, number_format=money),
                    cell(ws, budget - actual, number_format=money),
                ]
            )
