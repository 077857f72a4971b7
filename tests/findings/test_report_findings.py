"""The imported findings checked against the printed report (kanazawa-gazette-3177-2.txt): the counts,
the 第2 list (title, page, kind, area, group), body titles, subjects, responsible sections and the totals
as printed.

Every expected value was typed from the report text, not from the fixture files; the comment next to it
gives the report line ("L145" = line 145 of shared/report/kanazawa-gazette-3177-2.txt).
"""

import datetime

import pytest

from findings.models import AuditReport, StatedTotal

from .report_data_helpers import (
    ALL_CODES,
    BODY_TITLES,
    EARLIER,
    FINDING_LIST,
    RECOMMENDATION_LINES,
    SECTIONS,
    SUBJECTS,
    SYS,
    _finding,
    _squash,
)

pytestmark = pytest.mark.django_db

# -- counts ----------------------------------------------------------------------------------


def test_report_has_33_findings_3_shiteki_and_30_iken(report):
    # L152 指摘は以下の 3 件; L158 意見は合計 30 件
    assert report.findings.count() == 33
    assert report.findings.filter(kind="指摘").count() == 3
    assert report.findings.filter(kind="意見").count() == 30


def test_iken_split_11_dx_and_19_information_systems(report):
    # L158 DX に関するものは 11 件、情報システムに関するものは 19 件
    assert report.findings.filter(kind="意見", area="DX").count() == 11
    assert report.findings.filter(kind="意見", area=SYS).count() == 19
    # L152 the 3 指摘 concern ID/password management of information systems
    assert report.findings.filter(kind="指摘", area=SYS).count() == 3


def test_finding_codes_are_exactly_the_listed_ones(report):
    # L154-156, L162-210, L117-143: 指摘01-03 and 意見01-30
    assert sorted(report.findings.values_list("code", flat=True)) == sorted(ALL_CODES)


def test_findings_are_ordered_as_in_the_list(report):
    # 第2: 指摘 first (L151), then 意見 01..30 (L157)
    assert list(report.findings.order_by("order").values_list("code", flat=True)) == ALL_CODES


def test_stated_counts_match_the_report(report):
    # L152 (3 指摘), L158 (30 意見 = 11 DX + 19 情報システム), L751 (全部で162)
    counts = report.stated_counts
    assert counts["指摘"] == 3
    assert counts["意見"] == 30
    assert counts["意見_DX"] == 11
    assert counts["意見_情報システム"] == 19
    assert counts["systems"] == 162


def test_two_reiwa3_iken_belong_to_the_2021_citizen_report(report):
    # L1307-1318: 令和3年度包括外部監査における意見 — two rows, both on 報告書頁 33
    earlier = AuditReport.objects.get(code=EARLIER)
    assert list(report.earlier_reports.values_list("code", flat=True)) == [EARLIER]
    findings = list(earlier.findings.order_by("order"))
    assert [(f.code, f.kind, f.number) for f in findings] == [("意見1", "意見", 1), ("意見2", "意見", 2)]
    assert findings[0].title == "ランニング費用等の補助の見直し"  # L1314
    assert findings[1].title == "町会の「見える化」への検討"  # L1317
    assert [f.page for f in findings] == [33, 33]  # L1314, L1318
    assert [f.area for f in findings] == ["DX", "DX"]  # L1304 DX に関連すると考えられる意見


def test_2021_report_theme_and_2024_report_metadata(report):
    # L1309 「市民協働に関する財務事務の執行について」
    assert AuditReport.objects.get(code=EARLIER).theme == "市民協働に関する財務事務の執行について"
    assert AuditReport.objects.get(code=EARLIER).fiscal_year == 2021  # L1307 令和3年度
    assert report.theme == "DX 及び情報システムに関する財務事務の執行並びに事業管理について"  # L61
    assert report.fiscal_year == 2024  # 令和6年度 audit: L88 令和 6 年 6 月 11 日から
    assert report.target_fiscal_year == 2023  # L92 令和 5 年度
    assert report.audit_period_start == datetime.date(2024, 6, 11)  # L88
    assert report.audit_period_end == datetime.date(2025, 3, 12)  # L88 令和 7 年 3 月 12 日まで
    assert report.submitted_on == datetime.date(2025, 3, 27)  # L42 令和7年3月27日
    assert report.published_on == datetime.date(2025, 4, 11)  # L9, L33 令和7年4月11日
    assert report.auditor == "越田 圭"  # L96
    assert report.auditor_title == "公認会計士"  # L96
    assert report.assistants == [  # L98-99
        {"name": "宮本 研太", "title": "弁護士"},
        {"name": "山田 康二", "title": "税理士"},
    ]


# -- the 第2 list ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "kind", "area", "group", "title", "page", "line"), FINDING_LIST, ids=ALL_CODES)
def test_listed_finding_title_page_kind_area_and_group(report, code, kind, area, group, title, page, line):
    f = _finding(code)
    assert f.title == title, f"L{line}"
    assert f.page == page, f"L{line}"
    assert f.kind == kind
    assert f.number == int(code[2:])
    assert f.area == area
    assert f.group is not None and f.group.title == group


@pytest.mark.parametrize("code", ALL_CODES)
def test_body_title(report, code):
    f = _finding(code)
    listed = next(row[4] for row in FINDING_LIST if row[0] == code)
    expected = BODY_TITLES.get(code, listed)
    assert f.display_body_title == expected
    if code not in BODY_TITLES:
        assert f.body_title in ("", listed)


@pytest.mark.parametrize("code", ALL_CODES)
def test_source_line_is_the_recommendation_heading(report, report_text, code):
    f = _finding(code)
    assert f.source_line == RECOMMENDATION_LINES[code]
    printed = report_text.splitlines()[f.source_line - 1].replace(" ", "")
    assert printed.lstrip("- ").startswith("③") and code in printed


@pytest.mark.parametrize("code", ALL_CODES)
def test_subjects(report, code):
    f = _finding(code)
    got = []
    for s in f.subjects.select_related("project", "system").order_by("order"):
        if s.kind == "system":
            got.append(("system", s.system.number))
        elif s.kind == "project":
            got.append(("project", s.project.name))
        else:
            got.append((s.kind, None))
    assert got == SUBJECTS[code]


def test_iken04_repeats_say_same_as_iken04(report):
    # L1716, L1836, L1891: 「意見 04 《最低制限価格の設定根拠の明確化》に同じ。」 (spacing aside)
    subjects = list(_finding("意見04").subjects.order_by("order"))
    assert len(subjects) == 4
    printed = _squash("意見 04 《最低制限価格の設定根拠の明確化》に同じ。")
    assert [_squash(s.note) for s in subjects[1:]] == [printed] * 3
    assert subjects[0].note == ""


@pytest.mark.parametrize("code", ALL_CODES)
def test_responsible_sections(report, code):
    f = _finding(code)
    got = {(fs.section.bureau.name, fs.section.name) for fs in f.report_sections.select_related("section__bureau")}
    assert got == SECTIONS[code]


# -- totals as printed --------------------------------------------------------------------------

PRINTED_TOTALS = {
    # L510 合計 430,968 / 396,953
    ("dx_fields", "合計", "budget_thousand_yen"): 430968,
    ("dx_fields", "合計", "actual_thousand_yen"): 396953,
    # L587 合計 430,968 320,429 110,272 267
    ("dx_funding_budget", "合計", "total_thousand_yen"): 430968,
    ("dx_funding_budget", "合計", "general_thousand_yen"): 320429,
    ("dx_funding_budget", "合計", "national_thousand_yen"): 110272,
    ("dx_funding_budget", "合計", "prefectural_thousand_yen"): 267,
    # L594 合計 396,953 296,214 100,627 112
    ("dx_funding_actual", "合計", "total_thousand_yen"): 396953,
    ("dx_funding_actual", "合計", "general_thousand_yen"): 296214,
    ("dx_funding_actual", "合計", "national_thousand_yen"): 100627,
    ("dx_funding_actual", "合計", "prefectural_thousand_yen"): 112,
    ("dx_lines_産業", "産業合計", "budget_thousand_yen"): 146123,  # L573
    ("dx_lines_産業", "産業合計", "actual_thousand_yen"): 141131,
    ("dx_lines_地域", "地域合計", "budget_thousand_yen"): 27480,  # L630
    ("dx_lines_地域", "地域合計", "actual_thousand_yen"): 20264,
    ("dx_lines_文化", "文化合計", "budget_thousand_yen"): 57900,  # L714
    ("dx_lines_文化", "文化合計", "actual_thousand_yen"): 54198,
    ("dx_lines_教育", "教育合計", "budget_thousand_yen"): 19700,  # L696
    ("dx_lines_教育", "教育合計", "actual_thousand_yen"): 13216,
    ("dx_lines_行政", "行政合計", "budget_thousand_yen"): 179765,  # L783
    ("dx_lines_行政", "行政合計", "actual_thousand_yen"): 168144,
    # L1114 合計 2, 269 1, 817 2, 473 2, 154 1, 779 1, 577
    ("it_by_bureau", "合計", "2021_budget_million_yen"): 2269,
    ("it_by_bureau", "合計", "2021_actual_million_yen"): 1817,
    ("it_by_bureau", "合計", "2022_budget_million_yen"): 2473,
    ("it_by_bureau", "合計", "2022_actual_million_yen"): 2154,
    ("it_by_bureau", "合計", "2023_budget_million_yen"): 1779,
    ("it_by_bureau", "合計", "2023_actual_million_yen"): 1577,
    # L1177 合計 677 671 897 901 597 593
    ("it_by_system_総務局", "合計", "2021_budget_million_yen"): 677,
    ("it_by_system_総務局", "合計", "2021_actual_million_yen"): 671,
    ("it_by_system_総務局", "合計", "2022_budget_million_yen"): 897,
    ("it_by_system_総務局", "合計", "2022_actual_million_yen"): 901,
    ("it_by_system_総務局", "合計", "2023_budget_million_yen"): 597,
    ("it_by_system_総務局", "合計", "2023_actual_million_yen"): 593,
    # L1161 合計 782 353 782 445 422 222
    ("it_by_system_市民局", "合計", "2021_budget_million_yen"): 782,
    ("it_by_system_市民局", "合計", "2021_actual_million_yen"): 353,
    ("it_by_system_市民局", "合計", "2022_budget_million_yen"): 782,
    ("it_by_system_市民局", "合計", "2022_actual_million_yen"): 445,
    ("it_by_system_市民局", "合計", "2023_budget_million_yen"): 422,
    ("it_by_system_市民局", "合計", "2023_actual_million_yen"): 222,
}


def test_stated_totals_are_the_printed_totals(report):
    got = {(t.table, t.label, t.column): t.value for t in StatedTotal.objects.filter(report=report)}
    assert got == PRINTED_TOTALS
    for t in StatedTotal.objects.filter(report=report):
        assert type(t.value) is int
