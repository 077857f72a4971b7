"""The systems and DX budget pages are there for reports that have such data (issue 11): the menu shows
them only when some report holds it, and a report without it gets a plain statement, never a 404 or an
empty table that looks like a filter mistake."""

import datetime

import pytest
from django.urls import reverse

from auditreg.choices import Role
from budgets.models import DxField, DxFieldFunding, DxLine, DxProject, ProjectFunding
from findings.models import AuditReport, FindingSubject
from systems.models import BureauExpenditure, BureauSystemCount, InformationSystem, SystemBudget, SystemExpenditure

MENU = 'aria-label="メインメニュー"'


@pytest.fixture
def subsidies(db):
    """A second report, shaped like a subsidy audit: findings only, no systems, no budget."""
    return AuditReport.objects.create(
        code="subsidies-2025", kind="包括外部監査", fiscal_year=2025, theme="補助金の事務執行について",
        published_on=datetime.date(2026, 3, 1),
    )  # fmt: skip


@pytest.fixture
def staff_client(client, make_user):
    client.force_login(make_user("sys-staff", Role.SECTION_STAFF))
    return client


def menu(response) -> str:
    html = response.content.decode()
    start = html.index(MENU)
    return html[start : html.index("</nav>", start)]


def test_the_menu_shows_both_while_a_report_holds_systems_and_a_budget(staff_client, report, subsidies):
    nav = menu(staff_client.get(reverse("findings:report_list")))
    assert "情報システム</a>" in nav
    assert "DX予算・事業</a>" in nav


def test_a_report_without_systems_says_so(staff_client, subsidies):
    response = staff_client.get(reverse("systems:system_list"), {"report": subsidies.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert "この報告書（令和7年度 補助金の事務執行について）には情報システム一覧がありません。" in html
    assert "<table" not in html and "CSV ダウンロード" not in html


def test_a_report_with_systems_still_lists_them(staff_client, report):
    response = staff_client.get(reverse("systems:system_list"), {"report": report.pk})
    assert "には情報システム一覧がありません" not in response.content.decode()
    assert response.context["total"] == InformationSystem.objects.filter(report=report).count() > 0


@pytest.mark.parametrize("name", ["budgets:budget_tree", "budgets:project_list"])
def test_a_report_without_a_budget_says_so(staff_client, subsidies, name):
    response = staff_client.get(reverse(name), {"report": subsidies.code})
    assert response.status_code == 200
    html = response.content.decode()
    assert "この報告書（令和7年度 補助金の事務執行について）には DX 予算・事業のデータがありません。" in html
    assert "<table" not in html


def test_an_unknown_report_is_still_not_found(staff_client):
    assert staff_client.get(reverse("budgets:budget_tree"), {"report": "no-such-report"}).status_code == 404


def remove_systems_and_budgets():
    FindingSubject.objects.filter(kind__in=["system", "project"]).delete()
    for model in (SystemExpenditure, SystemBudget, BureauExpenditure, BureauSystemCount, InformationSystem):
        model.objects.all().delete()
    for model in (ProjectFunding, DxProject, DxFieldFunding, DxLine, DxField):
        model.objects.all().delete()


def test_without_any_such_data_the_menu_hides_them_and_the_pages_say_so(staff_client, subsidies):
    remove_systems_and_budgets()
    nav = menu(staff_client.get(reverse("findings:report_list")))
    assert "情報システム" not in nav
    assert "DX予算" not in nav
    assert "指摘・意見" in nav  # the rest of the menu stays
    html = staff_client.get(reverse("systems:system_list")).content.decode()
    assert "情報システム一覧のある報告書はまだありません。" in html
    html = staff_client.get(reverse("budgets:budget_tree")).content.decode()
    assert "DX 予算・事業のデータのある報告書はまだありません。" in html
