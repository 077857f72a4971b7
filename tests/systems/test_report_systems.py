"""The imported information systems checked against the printed report (kanazawa-gazette-3177-2.txt): the
inventory (counts per bureau, inventory numbers and names) and the audited systems of 第6 (overview,
budgets and purposes).

Expected values are typed from the report text (not from the fixture files); "L1093" = line 1093 of the text.
"""

import csv
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models import Sum

from auditreg.models import Bureau
from systems.models import BureauSystemCount, SystemBudget

from .report_data_helpers import BUREAU_NAMES, BUREAUS, SHIMIN, SOMU, YEARS

pytestmark = pytest.mark.django_db

REPORT_TEXT = Path(settings.BASE_DIR).parent / "shared" / "report" / "kanazawa-gazette-3177-2.txt"
REPAIRS_CSV = Path(settings.REPORT_FIXTURE_DIR) / "repairs.csv"
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
