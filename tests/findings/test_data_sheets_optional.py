"""The status workbook's data sheets follow what each report holds (issue 11): a report without an
information system list or a DX budget gets no empty 情報システム or DX予算 sheet."""

import datetime
import io

import openpyxl
import pytest

from findings import renderers, status_report
from findings.models import AuditReport

pytestmark = pytest.mark.django_db

AS_OF = datetime.date(2026, 3, 31)


def sheet_names(reports) -> list[str]:
    content = renderers.render_xlsx(status_report.build(reports=reports, as_of=AS_OF))
    return openpyxl.load_workbook(io.BytesIO(content), read_only=True).sheetnames


def test_a_report_with_systems_and_a_budget_keeps_both_sheets(report):
    names = sheet_names([report])
    assert "情報システム" in names and "DX予算" in names


def test_a_report_without_them_has_neither_sheet(db):
    subsidies = AuditReport.objects.create(
        code="subsidies-2025", kind="包括外部監査", fiscal_year=2025, theme="補助金の事務執行について",
        published_on=datetime.date(2026, 3, 1),
    )  # fmt: skip
    names = sheet_names([subsidies])
    assert "情報システム" not in names and "DX予算" not in names
    assert "指摘・意見" in names and "措置履歴" in names  # the sheets every report has
