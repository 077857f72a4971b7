"""The audit office dashboard against an independent, hand-made count.

A known mix of assignments and reports is built through the services (never by writing rows
directly; tests/findings/dashboard_helpers.py); the expected 区分 × status table, 措置済率, per-section rows
and overdue list are compared with both findings.dashboard_selectors.dashboard and the page
/findings/dashboard/."""

import datetime
import re
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from auditreg.wareki import format_fiscal_year
from findings import workflow_views
from findings.choices import ReportState, StatusCode
from findings.dashboard_selectors import dashboard
from findings.models import AuditReport, Finding, Measure, MeasureStatus
from tests.checkboxes import checkboxes

from .dashboard_helpers import (
    EXPECTED_N_DONE,
    EXPECTED_OVERDUE,
    EXPECTED_PER_SECTION,
    EXPECTED_TABLE,
    EXPECTED_TOTALS,
    LABELS,
    TODAY,
    cells,
    overdue_rows,
    per_section_rows,
)

pytestmark = pytest.mark.django_db

# -- the selector --------------------------------------------------------------------------------


def test_table_by_kind_and_status(mix, office):
    data = dashboard(user=office.auditor, today=TODAY)
    assert data["labels"] == LABELS
    assert data["table"] == EXPECTED_TABLE
    assert data["totals"] == EXPECTED_TOTALS


def test_every_finding_of_both_reports_is_counted(mix, office):
    data = dashboard(user=office.auditor, today=TODAY)
    assert data["n_findings"] == 33 + 2 == sum(EXPECTED_TOTALS)
    assert Finding.objects.count() == 35  # the independent count: every finding in the database


def test_done_rate(mix, office):
    data = dashboard(user=office.auditor, today=TODAY)
    assert data["n_done"] == EXPECTED_N_DONE
    assert data["done_rate"] == pytest.approx(3 / 35 * 100)  # 8.571…%


def test_per_section_rows(mix, office):
    data = dashboard(user=office.auditor, today=TODAY)
    assert per_section_rows(data) == EXPECTED_PER_SECTION
    assert sum(r[2] for r in EXPECTED_PER_SECTION) == Measure.objects.count() == 14


def test_overdue_list(mix, office):
    data = dashboard(user=office.auditor, today=TODAY)
    assert overdue_rows(data) == EXPECTED_OVERDUE
    # the per-section overdue counts agree with the list
    assert sum(r[5] for r in per_section_rows(data)) == len(EXPECTED_OVERDUE)


def test_overdue_moves_with_today(mix, office):
    """A day later 意見04 (reply_by == TODAY, still 措置予定) is overdue too; two months earlier nothing is."""
    later = dashboard(user=office.auditor, today=TODAY + datetime.timedelta(days=1))
    assert overdue_rows(later) == [*EXPECTED_OVERDUE[:4], ("意見04", "広報広聴課")]
    earlier = dashboard(user=office.auditor, today=datetime.date(2025, 8, 1))
    assert overdue_rows(earlier) == []


def test_admin_sees_the_same_figures(mix, office):
    assert dashboard(user=office.admin, today=TODAY) == dashboard(user=office.auditor, today=TODAY)


def test_one_report_only(mix, office, report):
    """Limited to kanazawa-2024-dx: the 2021 report's two unassigned 意見 drop out, nothing else changes."""
    data = dashboard(user=office.auditor, today=TODAY, report=report)
    assert data["table"] == [
        {"kind": "指摘", "code": "指摘", "counted": True, "cells": [0, 1, 0, 1, 1, 0], "total": 3},
        {"kind": "意見", "code": "意見", "counted": True, "cells": [21, 3, 1, 1, 2, 2], "total": 30},
    ]
    assert data["n_findings"] == 33
    assert data["done_rate"] == pytest.approx(3 / 33 * 100)
    assert per_section_rows(data) == EXPECTED_PER_SECTION
    assert overdue_rows(data) == EXPECTED_OVERDUE
    other = AuditReport.objects.get(code="kanazawa-2021-citizen")
    data = dashboard(user=office.auditor, today=TODAY, report=other)
    assert data["table"][1] == {
        "kind": "意見",
        "code": "意見",
        "counted": True,
        "cells": [2, 0, 0, 0, 0, 0],
        "total": 2,
    }
    assert (data["n_findings"], data["n_done"], data["per_section"], data["overdue"]) == (2, 0, [], [])


def test_nothing_assigned_yet(office):
    data = dashboard(user=office.auditor, today=TODAY)
    assert data["totals"] == [35, 0, 0, 0, 0, 0]
    assert (data["n_done"], data["done_rate"], data["per_section"], data["overdue"]) == (0, 0.0, [], [])


def test_renamed_label_is_used(mix, office):
    """Labels are data: renaming 措置済 to 改善済み moves the column, the counts stay."""
    MeasureStatus.objects.filter(code=StatusCode.DONE).update(label="改善済み")
    data = dashboard(user=office.auditor, today=TODAY)
    assert data["labels"] == ["未割当", "未着手", "措置予定・検討中", "措置中", "改善済み", "措置しない"]
    assert data["table"] == EXPECTED_TABLE
    assert data["n_done"] == EXPECTED_N_DONE


# -- the page ------------------------------------------------------------------------------------
def test_page_context_matches_the_hand_count(page):
    ctx = page.context
    assert ctx["today"] == TODAY
    assert [{k: row[k] for k in EXPECTED_TABLE[0]} for row in ctx["table"]] == EXPECTED_TABLE
    assert ctx["totals"] == EXPECTED_TOTALS
    assert ctx["n_findings"] == 35
    assert per_section_rows(ctx) == EXPECTED_PER_SECTION
    assert overdue_rows(ctx) == EXPECTED_OVERDUE
    # awaiting review: only 意見06 (意見09 was returned, everything else accepted or never submitted)
    assert [(r["code"], r["state"]) for r in ctx["awaiting_review"]] == [("意見06", ReportState.SUBMITTED)]


def test_page_shows_the_figures(page):
    html = page.content.decode()
    assert cells(html, "区分 × 措置状況") == [
        ["指摘", "0", "1", "0", "1", "1", "0", "3"],
        ["意見", "23", "3", "1", "1", "2", "2", "32"],
        ["計", "23", "4", "1", "2", "3", "2", "35"],
    ]
    assert re.search(r"<strong>8\.6%</strong>（<a [^>]*>3</a> / 35 件）", html)
    assert cells(html, "局・課別") == [[b, s, *map(str, n)] for b, s, *n in EXPECTED_PER_SECTION]
    overdue = cells(html, "回答期限を過ぎた措置")
    assert [(row[0][:4], row[2]) for row in overdue] == EXPECTED_OVERDUE
    assert "回答期限を過ぎた措置（4 件）" in html
    assert "審査待ちの報告（1 件）" in html


def test_page_for_one_report(mix, office, client, monkeypatch):
    monkeypatch.setattr(workflow_views, "_today", lambda: TODAY)
    client.force_login(office.auditor)
    response = client.get(reverse("findings:dashboard") + "?report=kanazawa-2024-dx")
    assert response.status_code == 200
    assert response.context["n_findings"] == 33
    assert response.context["totals"] == [21, 4, 1, 2, 3, 2]
    # an unknown code falls back to every report
    response = client.get(reverse("findings:dashboard") + "?report=no-such-report")
    assert response.context["n_findings"] == 35


def test_the_report_choice_is_checkboxes_that_send_the_report_codes(mix, office, client, monkeypatch):
    """No Ctrl+click listbox: a fieldset with a labelled box per report whose value is its code, so what a
    user ticks goes out as ?report=<code>&report=<code>, as the listbox sent it (links, cache key)."""
    monkeypatch.setattr(workflow_views, "_today", lambda: TODAY)
    client.force_login(office.auditor)
    url = reverse("findings:dashboard")
    html = client.get(url).content.decode()
    assert '<select name="report"' not in html and "Ctrl" not in html
    reports = list(AuditReport.objects.order_by("-fiscal_year", "code"))
    boxes = checkboxes(html, "report")
    assert [(b.value, b.checked) for b in boxes] == [(r.code, False) for r in reports]
    assert [b.label for b in boxes] == [f"{format_fiscal_year(r.fiscal_year)} {r.theme[:40]}" for r in reports]
    assert all(b.legends == ("報告書（複数選択可。選ばなければすべて）",) for b in boxes)
    # the 2021 report ticked: its two findings only, its box ticked on the page drawn for that choice
    earlier = boxes[1]
    response = client.get(f"{url}?{urlencode([(earlier.name, earlier.value)])}")
    assert response.context["n_findings"] == 2
    assert [b.value for b in checkboxes(response.content.decode(), "report") if b.checked] == [earlier.value]
    # both ticked: every finding, and the page's links carry both codes as before
    both = urlencode([(b.name, b.value) for b in boxes])
    response = client.get(f"{url}?{both}")
    page = response.content.decode()
    assert response.context["n_findings"] == 35
    assert [b.value for b in checkboxes(page, "report") if b.checked] == [r.code for r in reports]
    assert f"/findings/?report={reports[0].code}&amp;report={reports[1].code}&amp;" in page


def test_overdue_table_shows_the_current_report(page):
    overdue = {row[0][:4]: row for row in cells(page.content.decode(), "回答期限を過ぎた措置")}
    assert overdue["意見06"][5].startswith(ReportState.SUBMITTED.label)  # 課長承認済・審査待ち（…）
