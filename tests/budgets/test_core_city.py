"""The 第3 comparison with other core cities, typed from the report (lines ~246-300)."""

import pytest
from django.urls import reverse

from budgets.models import CoreCityComparison

pytestmark = pytest.mark.django_db

CITIES = ["福山市", "尼崎市", "市", "柏市", "高松市"]  # 尼崎市 is printed 尾崎市 by the extraction (OCR 尾/尼)


def row(report, table, item):
    cells = {c.city: c.value for c in CoreCityComparison.objects.filter(report=report, table=table, item=item)}
    return [cells.get(city) for city in CITIES]


def test_shape(report):
    cells = CoreCityComparison.objects.filter(report=report)
    assert cells.count() == (7 + 3 + 3) * 5
    assert set(cells.values_list("city", flat=True)) == set(CITIES)


def test_spot_values(report):
    assert row(report, "推進体制等", "CIO 補佐官等の任命") == ["○", "○", "—", "—", "—"]  # line 287
    assert row(report, "推進体制等", "全体方針策定") == ["○", "—", "○", "○", "○"]  # line 288
    assert row(report, "自治体業務", "AI の導入状況") == ["○", "○", "○", "—", "○"]  # line 250
    assert row(report, "住民サービス", "マイナンバーカードの保有状況 (保有率)") == ["77%", "70%", "75%", "73%", "75%"]
    assert row(report, "住民サービス", "よく使う 32 手続のオンライン化") == [
        "64% (14/22)",
        "38% (9/24)",
        "57% (13/23)",
        "54% (13/24)",
        "58% (15/26)",
    ]  # line 265


def test_report_page_shows_the_comparison(auditor_client, report):
    html = auditor_client.get(reverse("findings:report_detail", args=[report.code])).content.decode()
    assert "尼崎市" in html and "64% (14/22)" in html and "尾崎市" not in html
