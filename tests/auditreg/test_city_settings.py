"""City settings as data (auditreg.CitySettings): the city's name in the page frame, the FY2019 era label,
the publication title pattern."""

import datetime

import pytest

from auditreg.models import CitySettings
from auditreg.wareki import format_fiscal_year
from findings.models import AuditReport
from findings.status_report import format_title

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_settings():
    CitySettings.forget()
    yield
    CitySettings.forget()


def save(**values):
    CitySettings.objects.update_or_create(pk=1, defaults=values)
    CitySettings.forget()


def test_fy2019_is_reiwa_gannen_unless_the_city_writes_heisei_31():
    assert format_fiscal_year(2019) == "令和元年度"
    save(fy2019_label=CitySettings.FY2019_HEISEI)
    assert format_fiscal_year(2019) == "平成31年度"
    # the neighbours do not move
    assert (format_fiscal_year(2018), format_fiscal_year(2020)) == ("平成30年度", "令和2年度")
    assert format_fiscal_year(2019, fy2019="reiwa") == "令和元年度"


def test_publication_title_follows_the_citys_pattern():
    report = AuditReport(code="x", kind="定期監査", fiscal_year=2024, theme="契約事務")
    day = datetime.date(2025, 3, 31)
    assert format_title(report, day) == "令和6年度定期監査の結果に対する措置状況（令和7年3月31日現在）"
    save(city_name="架空市", status_title_pattern="{city} {fiscal_year}{kind}（{theme}）措置状況 {as_of}")
    assert format_title(report, day) == "架空市 令和6年度定期監査（契約事務）措置状況 令和7年3月31日"
    save(status_title_pattern="{unknown} の措置状況")  # a mistyped pattern: the built-in title, not an error
    assert format_title(report, day) == "令和6年度定期監査の結果に対する措置状況（令和7年3月31日現在）"


def test_the_page_footer_names_the_city(client, make_user):
    save(city_name="架空市", system_name="監査結果 措置管理")
    client.force_login(make_user("c-auditor"))
    html = client.get("/", follow=True).content.decode()
    assert "架空市 監査結果 措置管理" in html
