"""DX budget tree and projects: totals as printed, CSV = rows, bounded queries."""

import csv
import io

import pytest
from django.urls import reverse

from budgets.models import DxProject
from tests.factories import bulk_report
from tests.query_counts import count_queries

pytestmark = pytest.mark.django_db

TREE = reverse("budgets:budget_tree")


def read_csv(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))


def test_tree_totals_match_the_report(auditor_client, report):
    response = auditor_client.get(f"{TREE}?report={report.code}")
    # 第3 (4)①: 合計 予算額 430,968 千円 決算額 396,953 千円 差額 +34,015
    assert response.context["totals"] == {"budget": 430968, "actual": 396953, "variance": 34015}
    html = response.content.decode()
    assert "430,968" in html and "396,953" in html and "+34,015" in html
    assert "+13,901" in html  # 行政 6-3 ARを活用したデジタルハザードマップアプリの導入: 14,000 − 99


def test_tree_lists_every_line_once(auditor_client, report):
    response = auditor_client.get(f"{TREE}?report={report.code}")
    lines = [ln for f in response.context["fields"] for ln in f.lines.all()]
    assert len(lines) == 92  # 29 大項目 + 63 小項目


def test_unknown_report_is_404(auditor_client):
    assert auditor_client.get(f"{TREE}?report=nope").status_code == 404


def test_lines_csv(auditor_client, report):
    rows = read_csv(auditor_client.get(f"{reverse('budgets:budget_export_csv')}?report={report.code}"))
    assert rows[0][:4] == ["分野", "大項目", "小項目", "取組"]
    assert len(rows) - 1 == 92
    web3 = rows[1]
    assert web3[0] == "産業" and web3[1] == "1" and web3[2] == "" and web3[4:7] == ["11000", "11083", "-83"]


def test_project_detail_shows_funding_and_contract(auditor_client, report):
    project = DxProject.objects.get(report=report, name="スマート林業推進事業")
    html = auditor_client.get(reverse("budgets:project_detail", args=[project.pk])).content.decode()
    assert "森林再生課" in html
    assert "75,500千円" in html and "74,590千円" in html  # 予算額・決算額 (lines 1397-1399)
    assert "アジア航測株式会社" in html and "73,469千円" in html  # 請負金額
    assert "意見04" in html


def test_project_csv_lists_the_eleven_projects(auditor_client, report):
    rows = read_csv(auditor_client.get(f"{reverse('budgets:project_export_csv')}?report={report.code}"))
    assert len(rows) - 1 == 11


@pytest.mark.parametrize(
    "name", ["budgets:budget_tree", "budgets:budget_export_csv", "budgets:project_list", "budgets:project_export_csv"]
)
def test_query_count_does_not_grow_with_rows(auditor_client, name):
    synthetic = bulk_report(300)
    url = f"{reverse(name)}?report=kanazawa-2024-dx"
    small, _ = count_queries(auditor_client, url)
    large, _ = count_queries(auditor_client, f"{reverse(name)}?report={synthetic.code}")
    assert large == small and large <= 8
