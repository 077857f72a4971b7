"""Systems pages: filters, CSV = filtered rows, detail figures, bounded queries."""

import csv
import io

import pytest
from django.urls import reverse

from auditreg.models import Bureau
from tests.factories import bulk_report
from tests.query_counts import count_queries

pytestmark = pytest.mark.django_db

LIST = reverse("systems:system_list")
CSV = reverse("systems:system_export_csv")


def read_csv(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))


def test_anonymous_is_sent_to_login(client):
    assert client.get(LIST).status_code == 302


def test_list_counts(auditor_client, report):
    assert auditor_client.get(f"{LIST}?report={report.pk}").context["total"] == 162
    assert auditor_client.get(f"{LIST}?report={report.pk}&audited=true").context["total"] == 11
    assert auditor_client.get(f"{LIST}?report={report.pk}&audited=false").context["total"] == 151


def test_bureau_filter_matches_the_stated_count(auditor_client, report):
    # 「総務局に属する組織が所管する情報システムは以下の 33 である」
    bureau = Bureau.objects.get(name="総務局")
    rows = read_csv(auditor_client.get(f"{CSV}?report={report.pk}&bureau={bureau.pk}"))
    assert len(rows) - 1 == 33
    assert [int(r[0]) for r in rows[1:]] == list(range(7, 40))


def test_search_by_name_with_width_folding(auditor_client, report):
    response = auditor_client.get(f"{LIST}?report={report.pk}&q=ｅＬＴＡＸ")
    assert {s.number for s in response.context["page"]} == {38, 39}


def test_importance_filter(auditor_client, report):
    response = auditor_client.get(f"{LIST}?report={report.pk}&importance=A")
    numbers = {s.number for s in response.context["page"]}
    assert 14 in numbers and 6 in numbers  # 基幹情報システム, クラウド型市公式ホームページ管理システム


def test_detail_shows_budget_expenditure_and_findings(auditor_client, report):
    system = report.systems.get(number=14)  # 基幹情報システム: 238 百万円 each year (line 1140)
    html = auditor_client.get(reverse("systems:system_detail", args=[system.pk])).content.decode()
    assert "基幹情報システム" in html
    assert "238百万円" in html
    assert "令和5年度" in html
    assert "意見19" in html


def test_csv_escapes_formula_like_text(auditor_client, report):
    system = report.systems.get(number=1)
    system.name = '=HYPERLINK("http://example.invalid")'
    system.save()
    rows = read_csv(auditor_client.get(f"{CSV}?report={report.pk}"))
    assert rows[1][3].startswith("'=")


@pytest.mark.parametrize("url", [LIST, f"{LIST}?audited=false&q=システム", CSV])
def test_query_count_does_not_grow_with_rows(auditor_client, url):
    small, _ = count_queries(auditor_client, url)
    bulk_report(300)
    large, _ = count_queries(auditor_client, url)
    assert large == small and large <= 10


def test_detail_query_count_is_bounded(auditor_client, report):
    n, _ = count_queries(auditor_client, reverse("systems:system_detail", args=[report.systems.get(number=14).pk]))
    assert n <= 8
