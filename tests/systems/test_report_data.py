"""The imported information-system data checked against the printed report (kanazawa-gazette-3177-2.txt).

Expected values are typed from the report text (not from the fixture files); "L845" = line 845 of the text.
Tables in 百万円 are truncated to the unit (L109), so a sum of n rows may fall short of the printed total by
less than n.
"""

import csv
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models import Sum

from auditreg.models import Bureau
from systems.models import BureauExpenditure, BureauSystemCount, InformationSystem, SystemBudget, SystemExpenditure

pytestmark = pytest.mark.django_db

REPORT_TEXT = Path(settings.BASE_DIR).parent / "shared" / "report" / "kanazawa-gazette-3177-2.txt"
REPAIRS_CSV = Path(settings.REPORT_FIXTURE_DIR) / "repairs.csv"
YEARS = (2021, 2022, 2023)  # R3d, R4d, R5d (L1093)

# (bureau in the city's order of the expenditure table L1095-1113, count stated in its inventory heading,
#  heading line, inventory numbers printed under it)
BUREAUS = [
    ("都市政策局", 6, 833, range(1, 7)),  # L833 …以下の 6 つである (Nos. 1-6 at L836-841)
    ("総務局", 33, 845, range(7, 40)),  # L845 …以下の 33 である (7-30 at L848-871, 31-39 at L790-798)
    ("文化スポーツ局", 3, 802, range(40, 43)),  # L802 …以下の 3 つである
    ("経済局", 2, 811, range(43, 45)),  # L811 …以下の 2 つである
    ("農林水産局", 10, 819, range(45, 55)),  # L819 …以下の 10 である
    ("市民局", 15, 875, range(55, 70)),  # L875 …以下の 15 である
    ("福祉健康局", 13, 896, range(70, 83)),  # L896 …以下の 13 である
    ("こども未来局", 11, 915, range(83, 94)),  # L915 …以下の 11 である
    ("環境局", 7, 932, range(94, 101)),  # L932 …以下の 7 つである
    ("都市整備局", 14, 945, range(101, 115)),  # L945 …以下の 14 である
    ("土木局", 8, 967, range(115, 123)),  # L967 …以下の8つである
    ("会計管理者", 1, 981, range(123, 124)),  # L981 会計課は、会計管理者の…以下の1つである
    ("危機管理監", 1, 988, range(124, 125)),  # L988 危機管理課は、危機管理監の…以下の1つである
    ("教育委員会事務局", 24, 995, range(125, 149)),  # L995 …以下の24である
    ("議会事務局", 3, 1027, range(149, 152)),  # L1027 …以下の3つである
    ("選挙管理委員会", 3, 1036, range(152, 155)),  # L1036 …以下の3つである
    ("農業委員会", 2, 1045, range(155, 157)),  # L1045 …以下の2つである
    ("消防局", 4, 1053, range(157, 161)),  # L1053 …以下の4つである
    ("市立病院", 2, 1063, range(161, 163)),  # L1063 …以下の2つである
]
BUREAU_NAMES = [b[0] for b in BUREAUS]

# (No., bureau, section, name, inventory line). Names repaired from extraction damage are marked.
SPOT_NAMES = [
    (1, "都市政策局", "調査統計室", "統計調査支援システム", 836),
    (4, "都市政策局", "広報広聴課", "市政情報デジタルライブラリー", 839),
    (
        12,
        "総務局",
        "デジタル行政戦略課",
        "グループウェアシステム",
        853,
    ),  # printed グローバルウェア; L1131 グループウェア
    (22, "総務局", "デジタル行政戦略課", "庁内 WEB 会議システム", 863),
    (26, "総務局", "監理課", "金沢市電子入札システム SaaS (工事)", 867),  # printed "S a a S"
    (27, "総務局", "監理課", "金沢市電子入札システム SaaS (物品・役務)", 868),  # printed "S a a S"
    (31, "総務局", "税務課", "税務システム", 790),
    (38, "総務局", "市民税課", "eLTAX (国税連携システム)", 797),
    (39, "総務局", "市民税課", "eLTAX (審査システム)", 798),
    (41, "文化スポーツ局", "歴史都市推進課", "金澤町家データベース", 806),
    (
        43,
        "経済局",
        "産業政策課",
        "IT ビジネスプラザ武蔵予約システム",
        814,
    ),  # 武 lost; the plaza is named at L702, L1575
    (47, "農林水産局", "農業水産振興課", "イノシシ等出没情報メール配信システム", 824),  # printed イノシン等出沒
    (52, "農林水産局", "森林再生課", "クマ出没情報メール配信システム", 829),  # printed 出沒
    (53, "農林水産局", "中央卸売市場事務局", "中央卸売市場企業会計システム", 830),
    (61, "市民局", "近江町交流プラザ", "いしかわ施設予約サービス", 884),
    (67, "市民局", "保険年金課", "KDB（国保データベース）システム", 890),
    (71, "福祉健康局", "障害福祉課", "福祉保健総合オンラインシステム（障害福祉システム）", 900),
    (87, "こども未来局", "子育て支援課", "かなざわ子育てすまいるクーポン（電子版）管理システム", 922),
    (93, "こども未来局", "こども相談センター", "電話相談 AI 支援システム", 928),
    (94, "環境局", "環境政策課", "戸室新保埋立場計量システム", 935),  # printed 理立場
    (99, "環境局", "ごみ減量推進課", "家庭ごみ 24 時間 AI サポートシステム", 940),
    (100, "環境局", "ごみ減量推進課", "ごみ分別アプリ 5374App", 941),
    (112, "都市整備局", "建築指導課", "金沢市空き家等活用・流通促進体制クラウドサービス", 961),
    (120, "土木局", "内水整備課", "かなざわ雨水情報システムネットワーク", 975),
    (123, "会計管理者", "会計課", "地方公会計システム", 984),
    (124, "危機管理監", "危機管理課", "金沢市防災情報システム", 991),
    (128, "教育委員会事務局", "学校指導課", "情報教育システム ed ねっとかなざわ", 1003),
    (131, "教育委員会事務局", "泉野図書館", "AVブース予約・視聴管理システム", 1006),  # printed "A Vブース"
    (136, "教育委員会事務局", "市立工業高等学校", "GIGA スクール授業支援システム", 1011),
    (140, "教育委員会事務局", "市立工業高等学校", "機械 CAD・CAM システム", 1015),
    (149, "議会事務局", "議会事務局総務課", "議員履歴管理システム", 1030),
    (152, "選挙管理委員会", "選挙管理委員会", "選挙人名簿システム", 1039),
    (155, "農業委員会", "農業委員会事務局", "農業委員会サポートシステム", 1048),
    (159, "消防局", "警防課", "多言語対応金沢救急アプリ応急救護宿泊施設版", 1058),
    (162, "市立病院", "市立病院事務局", "市立病院企業会計システム", 1067),
]

AUDITED = [5, 6, 14, 21, 30, 31, 56, 87, 93, 99, 136]  # 第6 sections 2-12 (L2379 … L3489)

INTRANET = "専用線（庁内におけるローカルなネットワーク）"
CITY_LINE = "専用線（市内におけるローカルなネットワーク）"
# (No., name in the overview table, 導入年度 (西暦, text), network, (cloud, cloud text), (bureau, 所管課), 重要度)
# 重要度 None = not asserted: the sentences at L2810 (No. 21) and L2889 (No. 30) name 基幹情報システム, not the system.
AUDITED_OVERVIEW = [
    # L2382-2387, 重要度 L2418
    (
        5,
        "AI 活用行政情報自動案内システム",
        2019,
        "令和元年度",
        "インターネット",
        True,
        "有",
        ("都市政策局", "広報広聴課"),
        "C",
    ),
    # L2453-2458, 重要度 L2580
    (
        6,
        "クラウド型市公式ホームページ管理システム",
        2021,
        "令和3年度",
        "インターネット",
        True,
        "有",
        ("都市政策局", "広報広聴課"),
        "A",
    ),
    # L2653 + L2607-2610 (the overview continues in an earlier fragment), 重要度 L2678
    (14, "基幹情報システム", 2021, "令和3年度", INTRANET, True, "有", ("総務局", "デジタル行政戦略課"), "A"),
    # L2733-2738
    (
        21,
        "文書管理財務会計システム",
        2021,
        "令和3年度",
        INTRANET,
        False,
        "利用なし",
        ("総務局", "デジタル行政戦略課"),
        None,
    ),
    # L2858-2863
    (30, "市税滞納管理システム", 2021, "令和3年度", CITY_LINE, False, "利用なし", ("総務局", "税務課"), None),
    # L2933-2938, 重要度 L2989
    (31, "税務システム", 2021, "令和3年度", CITY_LINE, False, "利用なし", ("総務局", "税務課"), "A"),
    # L3119-3124, 重要度 L3176
    (
        56,
        "スマート窓口システム",
        2021,
        "令和3年度",
        "インターネット、専用線（庁内におけるローカルなネットワーク）",
        True,
        "有",
        ("市民局", "市民課"),
        "A",
    ),
    # L3224-3227 + L3263-3264, 重要度 L3233
    (
        87,
        "かなざわ子育てすまいるクーポン（電子版）管理システム",
        2022,
        "令和4年度",
        "インターネット",
        True,
        "有",
        ("こども未来局", "子育て支援課"),
        "A",
    ),
    # L3297-3302, 重要度 L3361
    (
        93,
        "電話相談 AI 支援システム",
        2023,
        "令和5年度",
        INTRANET,
        False,
        "無",
        ("こども未来局", "こども相談センター"),
        "A",
    ),
    # L3401-3406, 重要度 L3479
    (
        99,
        "家庭ごみ24時間AI サポートシステム",
        2021,
        "令和3年度",
        "インターネット",
        True,
        "有",
        ("環境局", "ごみ減量推進課"),
        "A",
    ),
    # L3493-3498, 重要度 L3505
    (
        136,
        "GIGA スクール授業支援システム",
        2020,
        "令和2年度",
        "インターネット、専用線（校内LAN）",
        True,
        "有",
        ("教育委員会事務局", "市立工業高等学校"),
        "B",
    ),
]

# 年度毎の予算額・決算額 (千円) that the printed overview tables state unambiguously: (No., year) -> (budget, actual)
AUDITED_BUDGETS = {
    (6, 2021): (26000, 22000),  # L2462 "26, 000 22, 000"
    (6, 2022): (3300, 3300),  # L2463-2464 "3, 300" "3, 300"
    (14, 2021): (238518, 238517),  # L2614
    (14, 2022): (238518, 238517),  # L2614
    (21, 2021): (197542, 195942),  # L2742
    (21, 2022): (225231, 224336),  # L2742-2743 (百万円 L1140: 225 224)
    (21, 2023): (25680, 26614),  # L2744-2745 (百万円 L1140: 25 26)
    (30, 2021): (None, None),  # L2867 "-", L2869 単体での予算額・決算額は該当がない
    (30, 2022): (None, None),
    (30, 2023): (None, None),
    (31, 2021): (None, None),  # L2943-2944 "-" "-" (L2948 令和 3 年度においては…歳出はなかった)
    (31, 2022): (64000, 60368),  # L2943-2944
    (31, 2023): (81300, 80487),  # L2945-2946
    (56, 2021): (51000, 34863),  # L3128 "51, 000 34, 863"
    (56, 2022): (9812, 9811),  # L3128
    (87, 2021): (None, None),  # L3268 "- -"
    (87, 2022): (10000, 9999),  # L3268
    (87, 2023): (2100, 2277),  # L3269
    (93, 2021): (None, None),  # L3308 "- - - -" (introduced 令和5年度, L3299)
    (93, 2022): (None, None),
    (93, 2023): (6000, 5962),  # L3309
    (99, 2021): (6000, 6256),  # L3410
    (99, 2023): (1087, 1122),  # L3410
}

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

N = None  # a printed "-"
# ②総務局 table (百万円): L1126-1150 (Nos. 7-31) and its tail L1169-1176 (Nos. 32-39); 合計 L1177
SOMU = {
    7: ((5, 5), (5, 5), (5, 5)),
    8: ((N, N), (N, N), (21, 20)),
    9: ((5, 4), (3, 3), (3, 3)),
    10: ((0, 0), (0, 0), (0, 0)),
    11: ((0, 0), (0, 0), (0, 0)),
    12: ((6, 6), (8, 8), (8, 8)),
    13: ((12, 12), (13, 13), (42, 37)),
    14: ((238, 238), (238, 238), (238, 238)),
    15: ((18, 18), (53, 64), (12, 12)),
    16: ((10, 9), (3, 3), (3, 3)),
    17: ((14, 15), (14, 14), (15, 16)),
    18: ((3, 3), (3, 3), (3, 3)),
    19: ((9, 9), (9, 7), (2, 2)),
    20: ((4, 4), (4, 4), (4, 4)),
    21: ((197, 195), (225, 224), (25, 26)),
    22: ((1, 1), (1, 1), (1, 1)),
    23: ((3, 3), (3, 3), (3, 3)),
    24: ((17, 17), (32, 32), (33, 33)),
    25: ((53, 52), (120, 120), (20, 20)),
    26: ((8, 8), (8, 8), (8, 8)),
    27: ((2, 0), (1, 1), (1, 1)),
    28: ((N, N), (N, N), (1, 1)),
    29: ((0, 0), (0, 0), (0, 0)),
    30: ((N, N), (N, N), (N, N)),
    31: ((N, N), (64, 60), (81, 80)),
    32: ((21, 20), (21, 21), (17, 18)),
    33: ((0, 0), (0, 0), (0, 0)),
    34: ((1, 1), (1, 1), (2, 2)),
    35: ((17, 15), (31, 31), (4, 4)),
    36: ((N, N), (N, N), (1, 0)),
    37: ((5, 5), (5, 5), (5, 5)),
    38: ((17, 17), (20, 20), (25, 25)),
    39: ((N, N), (N, N), (N, N)),  # L1176: the row prints no figures at all (blank cells)
}
SOMU_TOTAL = ((677, 671), (897, 901), (597, 593))  # L1177
# ③市民局 table (百万円): L1189-1197 (23, 55-62) and L1154-1160 (63-69); 合計 L1161
SHIMIN = {
    23: ((24, 22), (18, 18), (4, 6)),
    55: ((8, 8), (6, 6), (6, 6)),
    56: ((51, 34), (9, 9), (9, 9)),
    57: ((15, 15), (35, 31), (18, 19)),
    58: ((3, 3), (2, 2), (5, 6)),
    59: ((0, 0), (0, 0), (0, 0)),
    60: ((N, N), (N, N), (N, N)),
    61: ((0, 0), (0, 0), (0, 0)),
    62: ((352, 138), (397, 252), (62, 51)),
    63: ((187, 17), (191, 26), (197, 27)),
    64: ((40, 39), (26, 26), (25, 25)),
    65: ((36, 36), (35, 35), (34, 34)),
    66: ((18, 18), (18, 17), (17, 17)),
    67: ((24, 2), (24, 2), (23, 2)),
    68: ((0, 0), (0, 0), (0, 0)),
    69: ((18, 15), (14, 14), (13, 13)),
}
SHIMIN_TOTAL = ((782, 353), (782, 445), (422, 222))  # L1161


def _within_truncation(values, printed):
    """Each printed value is truncated to the unit (L109): their sum is at most the printed total and
    falls short of it by less than the number of rows."""
    present = [v for v in values if v is not None]
    total = sum(present)
    return total <= printed and printed - total < max(len(present), 1)


# -- inventory ---------------------------------------------------------------------------------


def test_162_systems_numbered_exactly_1_to_162(report):
    # L751 全部で162; numbers 1..162 assigned by the auditor (L800 ナンバーは監査人が付したもの)
    numbers = list(report.systems.order_by("number").values_list("number", flat=True))
    assert numbers == list(range(1, 163))


def test_19_bureaus_in_the_citys_order(report):
    # L1095-1113, the order of the expenditure table
    assert list(Bureau.objects.order_by("order").values_list("name", flat=True)) == BUREAU_NAMES


@pytest.mark.parametrize(("bureau", "count", "line", "numbers"), BUREAUS, ids=BUREAU_NAMES)
def test_bureau_system_count_as_stated_in_its_heading(report, bureau, count, line, numbers):
    stated = BureauSystemCount.objects.get(report=report, bureau__name=bureau)
    assert stated.stated_count == count, f"L{line}"
    in_db = report.systems.filter(section__bureau__name=bureau)
    assert in_db.count() == count, f"L{line}"
    assert sorted(in_db.values_list("number", flat=True)) == list(numbers)


def test_stated_bureau_counts_add_up_to_162(report):
    # L751 全部で162; L1073 総務局 33 (最多), 教育委員会事務局 24
    assert sum(b[1] for b in BUREAUS) == 162
    assert BureauSystemCount.objects.filter(report=report).aggregate(n=Sum("stated_count"))["n"] == 162


@pytest.mark.parametrize(
    ("number", "bureau", "section", "name", "line"), SPOT_NAMES, ids=[str(s[0]) for s in SPOT_NAMES]
)
def test_system_name_and_section(report, number, bureau, section, name, line):
    s = report.systems.select_related("section__bureau").get(number=number)
    assert s.name == name, f"L{line}"
    assert (s.section.bureau.name, s.section.name) == (bureau, section), f"L{line}"
    assert s.source_line == line


@pytest.fixture(scope="module")
def report_lines():
    if not REPORT_TEXT.exists():
        pytest.skip(f"report text not available at {REPORT_TEXT}")
    return REPORT_TEXT.read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def repaired_system_names():
    with REPAIRS_CSV.open(encoding="utf-8", newline="") as fh:
        return {
            int(row["record"])
            for row in csv.DictReader(fh)
            if row["file"] == "systems/systems.csv" and row["field"] == "name" and row["record"].isdigit()
        }


def test_every_inventory_row_is_printed_as_stored(report, report_lines, repaired_system_names):
    """Each system's inventory row "No.<TAB>組織名称<TAB>システム名称" (L790-1067) carries the stored number,
    section and (unless repairs.csv records a repair) name."""
    mismatches = []
    for s in report.systems.select_related("section"):
        cells = report_lines[s.source_line - 1].split("\t")
        if not 790 <= s.source_line <= 1067 or len(cells) != 3:
            mismatches.append((s.number, "not an inventory row", s.source_line))
            continue
        number, section, name = (c.strip() for c in cells)
        if number != str(s.number) or section != s.section.name:
            mismatches.append((s.number, number, section, s.section.name))
        if s.number not in repaired_system_names and name != s.name:
            mismatches.append((s.number, name, s.name))
    assert mismatches == []
    assert repaired_system_names == {12, 26, 27, 43, 47, 52, 94, 131}  # the damaged names listed in SPOT_NAMES


# -- audited systems (第6) --------------------------------------------------------------------------


def test_eleven_audited_systems(report):
    # 第6 2.-12. (L2379, 2450, 2649, 2729, 2854, 2930, 3116, 3220, 3293, 3397, 3489)
    assert list(report.systems.filter(audited=True).order_by("number").values_list("number", flat=True)) == AUDITED


@pytest.mark.parametrize(
    ("number", "name", "year", "year_text", "network", "cloud", "cloud_text", "section", "importance"),
    AUDITED_OVERVIEW,
    ids=[str(a[0]) for a in AUDITED_OVERVIEW],
)
def test_audited_system_overview(
    report, number, name, year, year_text, network, cloud, cloud_text, section, importance
):
    s = report.systems.select_related("section__bureau").get(number=number)
    assert s.audited
    assert s.audited_name == name
    assert s.introduced_fiscal_year == year
    assert s.introduced_text.replace(" ", "") == year_text  # printed "令和 3 年度" in some tables
    assert s.network == network
    assert s.cloud is cloud
    assert s.cloud_text == cloud_text
    assert (s.section.bureau.name, s.section.name) == section
    if importance is not None:
        assert s.importance == importance


@pytest.mark.parametrize(("key", "expected"), AUDITED_BUDGETS.items(), ids=[f"{n}-{y}" for n, y in AUDITED_BUDGETS])
def test_audited_system_budget(report, key, expected):
    number, year = key
    b = SystemBudget.objects.get(system__report=report, system__number=number, fiscal_year=year)
    assert (b.budget_thousand_yen, b.actual_thousand_yen) == expected


def test_ai_guide_budget_cells(report):
    # No. 5, L2389-2395: R3 予算額 1,848 and R4 予算額 3,248 (fragment A, L2391); the R5 cells are 3,289 and 3,630
    # (fragment B, L2394-2395) — which of the two is 予算額 the extraction does not show.
    rows = {b.fiscal_year: b for b in SystemBudget.objects.filter(system__report=report, system__number=5)}
    assert rows[2021].budget_thousand_yen == 1848
    assert rows[2022].budget_thousand_yen == 3248
    assert {rows[2023].budget_thousand_yen, rows[2023].actual_thousand_yen} == {3289, 3630}


def test_smart_window_r5_budget(report):
    # No. 56, L3128: 令和 5 年度 予算額 9, 812 (the 決算額 cell is not in the extracted text)
    b = SystemBudget.objects.get(system__report=report, system__number=56, fiscal_year=2023)
    assert b.budget_thousand_yen == 9812


def test_giga_school_budget_table_is_not_printed(report):
    # No. 136, L3499: only the caption 年度毎の予算額・決算額 is printed, no figures
    rows = SystemBudget.objects.filter(system__report=report, system__number=136)
    assert all(r.budget_thousand_yen is None and r.actual_thousand_yen is None for r in rows)


@pytest.mark.parametrize(
    ("number", "table"),
    [(14, SOMU), (21, SOMU), (31, SOMU), (56, SHIMIN)],
    ids=["14", "21", "31", "56"],
)
def test_audited_budget_in_thousands_truncates_to_the_million_table(report, number, table):
    # The 千円 overview figures, truncated to 百万円, are the figures of the 総務局 / 市民局 tables (L1133, 1140,
    # 1150, 1191) — for the cells that both print.
    for b in SystemBudget.objects.filter(system__report=report, system__number=number):
        printed = table[number][YEARS.index(b.fiscal_year)]
        for thousand, million in zip((b.budget_thousand_yen, b.actual_thousand_yen), printed, strict=True):
            if thousand is not None:
                assert thousand // 1000 == million, (number, b.fiscal_year)


def _squash(text):
    """Drop whitespace (hard wraps, stray spaces) and footnote superscripts."""
    return re.sub(r"[\s\u3000¹²³⁴⁵⁶⁷⁸⁹⁰⁽⁾]", "", text)


@pytest.fixture(scope="module")
def squashed_report():
    if not REPORT_TEXT.exists():
        pytest.skip(f"report text not available at {REPORT_TEXT}")
    return _squash(REPORT_TEXT.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def repaired_purposes():
    """System numbers whose 導入目的 has a repair recorded in repairs.csv (read only to know what to skip)."""
    with REPAIRS_CSV.open(encoding="utf-8", newline="") as fh:
        return {
            int(row["record"])
            for row in csv.DictReader(fh)
            if row["file"] == "systems/audited_systems.yaml" and row["field"] == "purpose" and row["record"].isdigit()
        }


@pytest.mark.parametrize("number", AUDITED)
def test_audited_system_purpose_is_printed_in_the_report(report, squashed_report, repaired_purposes, number):
    purpose = report.systems.get(number=number).purpose
    assert purpose.strip()
    if number in repaired_purposes:
        pytest.skip(f"No. {number}: 導入目的 repaired (repairs.csv)")
    for paragraph in purpose.split("\n"):
        if paragraph.strip():
            assert _squash(paragraph) in squashed_report, paragraph


def test_audited_system_purpose_samples(report):
    purposes = dict(report.systems.filter(audited=True).values_list("number", "purpose"))
    # L2383 (しぐみ is OCR damage of しくみ)
    assert purposes[5].startswith("市民とのすべての接点やしくみをメディアとして捉え直し")
    # L2454 (市公式IP is OCR damage of 市公式HP; footnotes ²⁸ ²⁹ ³⁰ dropped)
    assert "コンテンツ管理システムの刷新及び市公式HP のリニューアルを実施する。" in purposes[6]
    assert "・オンプレミスからクラウドに変更することで、災害時の情報発信体制を強化" in purposes[6]
    # L2654
    assert purposes[14] == (
        "ホストコンピュータシステム（住民記録・税オンラインシステム及び一部の電算処理業務）について、"
        "パッケージシステムとして再構築するもの。"
    )
    # L2859, L2934
    assert (
        purposes[30]
        == purposes[31]
        == "基幹情報システムと同時に導入されていることから、基幹情報システムの記載事項を参照されたい。"
    )
    # L3494
    assert purposes[136].endswith("令和3年度までには、端末を生徒1人に対し1台配布出来る環境を構築する。")


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
