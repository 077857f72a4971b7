"""The imported IT expenditure checked against the printed report (kanazawa-gazette-3177-2.txt): by bureau
and by system in the 総務局 and 市民局 tables (百万円, each printed value truncated to the unit), and the
money types.

Expected values are typed from the report text (not from the fixture files); "L1093" = line 1093 of the text.
Tables in 百万円 are truncated to the unit (L109), so a sum of n rows may fall short of the printed total by
less than n.
"""

import pytest

from systems.models import BureauExpenditure, InformationSystem, SystemBudget, SystemExpenditure

from .report_data_helpers import BUREAU_NAMES, SHIMIN, SOMU, YEARS

pytestmark = pytest.mark.django_db

# 局・委員会等 × R3d/R4d/R5d (百万円), L1095-1113: (budget, actual) per year
BY_BUREAU = {
    "都市政策局": ((31, 27), (10, 10), (28, 28)),  # L1095
    "総務局": ((677, 671), (897, 901), (597, 593)),  # L1096
    "文化スポーツ局": ((11, 11), (12, 11), (11, 11)),  # L1097
    "経済局": ((4, 5), (1, 1), (4, 4)),  # L1098
    "農林水産局": ((19, 19), (19, 19), (20, 20)),  # L1099
    "市民局": ((782, 353), (782, 445), (422, 222)),  # L1100
    "福祉健康局": ((123, 135), (188, 192), (127, 132)),  # L1101
    "こども未来局": ((27, 26), (76, 79), (20, 20)),  # L1102
    "環境局": ((22, 23), (15, 15), (34, 34)),  # L1103
    "都市整備局": ((33, 35), (36, 35), (72, 72)),  # L1104
    "土木局": ((50, 52), (57, 63), (54, 55)),  # L1105
    "会計管理者": ((6, 5), (0, 0), (0, 0)),  # L1106
    "危機管理監": ((24, 24), (24, 24), (24, 24)),  # L1107
    "教育委員会事務局": ((300, 269), (197, 198), (211, 207)),  # L1108
    "議会事務局": ((3, 4), (3, 4), (3, 3)),  # L1109
    "選挙管理委員会": ((1, 1), (2, 2), (0, 0)),  # L1110
    "農業委員会": ((0, 0), (0, 0), (0, 0)),  # L1111
    "消防局": ((67, 67), (67, 67), (67, 67)),  # L1112
    "市立病院": ((80, 82), (78, 79), (77, 79)),  # L1113
}
BY_BUREAU_TOTAL = ((2269, 1817), (2473, 2154), (1779, 1577))  # L1114 "2, 269 1, 817 2, 473 2, 154 1, 779 1, 577"
SOMU_TOTAL = ((677, 671), (897, 901), (597, 593))  # L1177
SHIMIN_TOTAL = ((782, 353), (782, 445), (422, 222))  # L1161


def _within_truncation(values, printed):
    """Each printed value is truncated to the unit (L109): their sum is at most the printed total and
    falls short of it by less than the number of rows."""
    present = [v for v in values if v is not None]
    total = sum(present)
    return total <= printed and printed - total < max(len(present), 1)


# -- IT expenditure by bureau (百万円) --------------------------------------------------------------


@pytest.mark.parametrize("bureau", BUREAU_NAMES)
def test_it_expenditure_by_bureau(report, bureau):
    rows = {
        e.fiscal_year: (e.budget_million_yen, e.actual_million_yen)
        for e in BureauExpenditure.objects.filter(report=report, bureau__name=bureau)
    }
    assert rows == dict(zip(YEARS, BY_BUREAU[bureau], strict=True))


@pytest.mark.parametrize("year", YEARS)
def test_it_expenditure_by_bureau_sums_to_printed_total_within_truncation(report, year):
    rows = BureauExpenditure.objects.filter(report=report, fiscal_year=year)
    assert rows.count() == 19
    budget, actual = BY_BUREAU_TOTAL[YEARS.index(year)]
    assert _within_truncation([r.budget_million_yen for r in rows], budget)
    assert _within_truncation([r.actual_million_yen for r in rows], actual)


def test_somu_and_shimin_are_the_largest_and_r5_actual_share(report):
    # L1118: 総務局 and 市民局 R5 決算額 together 815 百万円 of 1,577
    r5 = BureauExpenditure.objects.filter(report=report, fiscal_year=2023, bureau__name__in=["総務局", "市民局"])
    assert _within_truncation([r.actual_million_yen for r in r5], 815)


# -- IT expenditure by system: 総務局 and 市民局 tables (百万円) ------------------------------------


def _table(report, bureau):
    rows = {}
    for e in SystemExpenditure.objects.filter(report=report, table_bureau__name=bureau).select_related("system"):
        rows.setdefault(e.system.number, {})[e.fiscal_year] = (e.budget_million_yen, e.actual_million_yen)
    return {n: tuple(v.get(y, "missing") for y in YEARS) for n, v in rows.items()}


def test_somu_table_rows(report):
    # L1126-1150, L1169-1176
    assert _table(report, "総務局") == SOMU


def test_shimin_table_rows(report):
    # L1189-1197, L1154-1160 (No. 23 is in both tables, L1165)
    assert _table(report, "市民局") == SHIMIN


@pytest.mark.parametrize(("bureau", "printed"), [("総務局", SOMU_TOTAL), ("市民局", SHIMIN_TOTAL)])
@pytest.mark.parametrize("year", YEARS)
def test_system_table_sums_to_printed_total_within_truncation(report, bureau, printed, year):
    rows = SystemExpenditure.objects.filter(report=report, table_bureau__name=bureau, fiscal_year=year)
    budget, actual = printed[YEARS.index(year)]
    assert _within_truncation([r.budget_million_yen for r in rows], budget)
    assert _within_truncation([r.actual_million_yen for r in rows], actual)


def test_system_table_names_as_printed(report):
    names = dict(
        SystemExpenditure.objects.filter(report=report, fiscal_year=2023).values_list(
            "system__number", "name_as_printed"
        )
    )
    assert names[12] == "グループウェアシステム"  # L1131
    assert names[14] == "基幹情報システム"  # L1133
    assert names[26] == "金沢市電子入札システム SaaS (工事)"  # L1145 (printed "S a S")
    assert names[38] == "eLTAX (国税連携システム)"  # L1175 (printed "eTAX"; inventory L797 eLTAX)
    assert names[62] == "国民健康保険事務処理標準システム"  # L1197
    assert names[67] == "KDB (国保データベース) システム"  # L1158


def test_largest_actuals_named_in_the_text(report):
    # L1181: No. 14 R5 決算 238 (R3, R4 also 238); No. 31 R5 80, R4 60; No. 21 R3 195, R4 224, R5 26
    # L1165: No. 62 R5 51, R3 138, R4 252; Nos. 62-65 R5 決算 together 140
    def actual(bureau, number, year):
        return SystemExpenditure.objects.get(
            report=report, table_bureau__name=bureau, system__number=number, fiscal_year=year
        ).actual_million_yen

    assert [actual("総務局", 14, y) for y in YEARS] == [238, 238, 238]
    assert (actual("総務局", 31, 2022), actual("総務局", 31, 2023)) == (60, 80)
    assert [actual("総務局", 21, y) for y in YEARS] == [195, 224, 26]
    assert [actual("市民局", 62, y) for y in YEARS] == [138, 252, 51]
    # 140 is computed from untruncated amounts: the four truncated rows may fall short of it by less than 4
    assert _within_truncation([actual("市民局", n, 2023) for n in (62, 63, 64, 65)], 140)


# -- money types ------------------------------------------------------------------------------------


def test_money_fields_are_int_or_null(report):
    checked = 0
    for model, fields in [
        (SystemBudget, ["budget_thousand_yen", "actual_thousand_yen"]),
        (BureauExpenditure, ["budget_million_yen", "actual_million_yen"]),
        (SystemExpenditure, ["budget_million_yen", "actual_million_yen"]),
    ]:
        for row in model.objects.values_list(*fields):
            for value in row:
                assert value is None or type(value) is int, (model.__name__, value)
                checked += 1
    assert checked > 0


def test_printed_dash_is_null_and_printed_zero_is_zero(report):
    def cell(bureau, number, year):
        return SystemExpenditure.objects.get(
            report=report, table_bureau__name=bureau, system__number=number, fiscal_year=year
        )

    # L1127 No. 8 "- - - - 21 20"
    assert (cell("総務局", 8, 2021).budget_million_yen, cell("総務局", 8, 2021).actual_million_yen) == (None, None)
    assert cell("総務局", 8, 2023).budget_million_yen == 21
    # L1129 No. 10 "0 0 0 0 0 0"
    assert (cell("総務局", 10, 2022).budget_million_yen, cell("総務局", 10, 2022).actual_million_yen) == (0, 0)
    # L1195 No. 60 all "-"
    assert cell("市民局", 60, 2023).budget_million_yen is None
    # L1111 農業委員会 all 0; L1106 会計管理者 R4 0
    assert (
        BureauExpenditure.objects.get(report=report, bureau__name="農業委員会", fiscal_year=2021).budget_million_yen
        == 0
    )
    assert (
        BureauExpenditure.objects.get(report=report, bureau__name="会計管理者", fiscal_year=2022).actual_million_yen
        == 0
    )
    # L2867 No. 30 "-" in the 千円 table
    b = SystemBudget.objects.get(system__report=report, system__number=30, fiscal_year=2022)
    assert b.budget_thousand_yen is None and b.actual_thousand_yen is None
    assert InformationSystem.objects.filter(report=report).count() == 162
