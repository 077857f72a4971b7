"""The audited DX projects (第5) checked against the printed report (kanazawa-gazette-3177-2.txt): each
project's section, line, budget, contracts and texts, the 第3 中核市 comparison and the money types.

Expected values are typed from the report text (not from the fixture files); "L505" = line 505 of the text.
A printed "-" is stored as NULL.
"""

import csv
import re
from pathlib import Path

import pytest
from django.conf import settings

from budgets.models import CoreCityComparison, DxField, DxFieldFunding, DxLine, DxProject, ProjectFunding

from .report_data_helpers import N

pytestmark = pytest.mark.django_db

REPORT_TEXT = Path(settings.BASE_DIR).parent / "shared" / "report" / "kanazawa-gazette-3177-2.txt"
REPAIRS_CSV = Path(settings.REPORT_FIXTURE_DIR) / "repairs.csv"
# 第5: the audited projects in report order.
# (事業名, (局, 所管課), (分野, 大項目, 小項目), 予算額 (合計, 国, 県, 一般財源等), 決算額 (…), 事業名 line)
PROJECTS = [
    (
        "金沢 MaaS 推進事業",
        ("都市政策局", "交通政策課"),  # L1424
        ("産業", 2, 1),  # L1426-1428
        (16750, 6835, N, 9915),  # L1433
        (15845, 6382, N, 9463),  # L1434
        1423,
    ),
    (
        "スマート林業推進事業",
        ("農林水産局", "森林再生課"),  # L1390
        ("産業", 5, 1),  # L1392-1394
        (75500, 31500, N, 44000),  # L1399
        (74590, 28501, N, 46089),  # L1400
        1389,
    ),
    (
        "地域活動発信アプリ（結ネット等）の普及促進事業",
        ("市民局", "市民協働推進課"),  # L1478
        ("地域", 1, 1),  # L1480-1482
        (7700, N, N, 7700),  # L1487
        (7014, N, N, 7014),  # L1488
        1477,
    ),
    (
        "シビックテック推進事業",
        ("市民局", "市民協働推進課"),  # L1524
        ("地域", 2, 1),  # L1526-1528
        (3400, N, N, 3400),  # L1556
        (2329, N, N, 2329),  # L1557
        1523,
    ),
    (
        "金沢ミュージアムプラス運営事業",
        ("文化スポーツ局", "文化政策課"),  # L1540
        ("文化", 1, 1),  # L1542-1544
        (36900, 18450, N, 18450),  # L1549
        (36345, 18172, N, 18173),  # L1550
        1539,
    ),
    (
        "金沢版子供プログラミング教育の実践事業",
        ("経済局", "産業政策課"),  # L1623
        ("教育", 1, 1),  # L1625-1627
        (11800, 5900, N, 5900),  # L1579
        (10408, 5187, N, 5221),  # L1580
        1622,
    ),
    (
        "中小企業デジタル人材拡充事業",
        ("経済局", "産業政策課"),  # L1668
        ("教育", 2, 1),  # L1670-1672
        (4000, N, N, 4000),  # L1677
        (N, N, N, N),  # L1678 "- - - -"
        1667,
    ),
    (
        "大学連携リスキリング促進助成事業",
        ("都市政策局", "地域力再生課"),  # L1634
        ("教育", 3, 1),  # L1636-1638
        (1000, N, N, 1000),  # L1643 + L1646 (一般財源等 column extracted apart)
        (166, N, N, 166),  # L1644 + L1647
        1633,
    ),
    (
        "かなざわ子育てすまいるクーポン電子クーポン移行推進事業",  # L1749 (クーボン: OCR), L170
        ("こども未来局", "子育て支援課"),  # L1750
        ("行政", 2, 2),  # L1752-1754
        (3300, N, N, 3300),  # L1759
        (3644, N, N, 3644),  # L1760
        1749,
    ),
    (
        "ドローン活用防災・減災対策事業",
        ("土木局", "道路建設課"),  # L1723
        ("行政", 6, 2),  # L1725-1727
        (4400, N, N, 4400),  # L1806
        (4098, N, N, 4098),  # L1807
        1722,
    ),
    (
        "水害ハザードマップ事業",
        ("土木局", "内水整備課"),  # L1773
        ("行政", 6, 3),  # L1775-1777
        (14000, 7000, N, 7000),  # L1782 + L1785
        (99, N, N, 99),  # L1783 + L1786
        1772,
    ),
]
PROJECT_NAMES = [p[0] for p in PROJECTS]

# Contract tables: 事業名 -> (名称, 契約の締結方法, 落札者又は契約の受嘱者, 入札参加者数, 入札参加者数 (text, spaces
# ignored), 予定価格の事前公表, 予定価格, 請負金額 (千円), 最低制限価格)
CONTRACTS = {
    "スマート林業推進事業": (  # L1406-1413
        "金沢市森林資源解析及び市営造林運用計画等策定業務",
        "制約付き一般競争入札",
        "アジア航測株式会社",
        4,
        "4者（辞退者なし）",
        "無",
        "非公表",
        73469,
        "非公表",
    ),
    "かなざわ子育てすまいるクーポン電子クーポン移行推進事業": (  # L1766-1767 + L1694-1700
        "かなざわ子育てすまいるクーポン事務補助業務",
        "指名競争入札",
        "IIP 金沢キャリアサポート株式会社",
        10,
        "10者(4者辞退)",
        "無",
        "非公表",
        1951,
        "非公表",
    ),
    "ドローン活用防災・減災対策事業": (  # L1813-1820
        "金沢市無人飛行機導入支援業務",
        "指名競争入札",
        "株式会社北日本ジオグラフィ",
        10,
        "10者(辞退者なし)",
        "無",
        "非公表",
        2970,
        "非公表",
    ),
    "水害ハザードマップ事業": (  # L1792-1799
        "かなざわ水害ハザードマップアプリ整備業務",
        "制約付き一般競争入札",
        "NES 株式会社金沢支店",
        1,
        "1者(辞退者なし)",
        "無",
        "非公表",
        9570,
        "非公表",
    ),
}

# (事業名, field, sentence typed from the report)
PROJECT_TEXT = [
    (
        "スマート林業推進事業",
        "content",
        "市内全域の森林情報（地形、樹種、資源量、路網等）を航空レーザーで計測・解析し、林業経営や森林管理に活用する。",
    ),  # L1395
    ("スマート林業推進事業", "results", "市内全域の民有林 231.65 平方キロメートルについて"),  # L1396
    ("中小企業デジタル人材拡充事業", "results", "申請実績なし。"),  # L1674
    ("金沢ミュージアムプラス運営事業", "content", "「金沢ミュージアム+」を運営し"),  # L1545 (* = +, cf. L718)
    ("シビックテック推進事業", "content", "・シビックテックイベントの開催"),  # L1552 (cell continued out of order)
    ("水害ハザードマップ事業", "content", "平常時から、手軽な確認を可能とする"),  # L1778 手堅な (OCR), L743 手軽な
    ("ドローン活用防災・減災対策事業", "results", "河川パトロール等での情報収集だけでなく"),  # L1729 + L1803
]

# 第3 (1) dashboard comparison: (table, item, city, value, line)
CORE_CITY = [
    ("推進体制等", "CIO の任命", "柏市", "—", 286),
    ("推進体制等", "CIO 補佐官等の任命", "市", "—", 287),
    ("推進体制等", "全体方針策定", "尼崎市", "—", 288),
    ("推進体制等", "外部人材活用", "高松市", "○", 290),
    ("自治体業務", "AI の導入状況", "柏市", "—", 250),
    ("自治体業務", "テレワークの導入状況", "市", "○", 252),
    ("住民サービス", "マイナンバーカードの保有状況 (保有率)", "福山市", "77%", 263),
    ("住民サービス", "子育て・介護 26 手続のオンライン化", "市", "100%", 264),
    ("住民サービス", "よく使う 32 手続のオンライン化", "市", "57% (13/23)", 265),
    ("住民サービス", "よく使う 32 手続のオンライン化", "尼崎市", "38% (9/24)", 265),
]
# -- audited projects (第5) -------------------------------------------------------------------------


def test_eleven_audited_projects(report):
    # 第5 2.-12. (L1419 … L1769)
    assert DxProject.objects.filter(report=report).count() == 11
    assert set(DxProject.objects.filter(report=report).values_list("name", flat=True)) == set(PROJECT_NAMES)


@pytest.mark.parametrize(("name", "section", "classification", "budget", "actual", "line"), PROJECTS, ids=PROJECT_NAMES)
def test_project_section_classification_and_funding(report, name, section, classification, budget, actual, line):
    p = DxProject.objects.select_related("section__bureau", "line__field").get(report=report, name=name)
    assert (p.section.bureau.name, p.section.name) == section, f"L{line}"
    assert (p.line.field.name, p.line.major_no, p.line.minor_no) == classification, f"L{line}"
    fundings = {f.basis: f for f in p.fundings.all()}
    assert set(fundings) == {"budget", "actual"}
    for basis, expected in (("budget", budget), ("actual", actual)):
        f = fundings[basis]
        got = (f.total_thousand_yen, f.national_thousand_yen, f.prefectural_thousand_yen, f.general_thousand_yen)
        assert got == expected, (basis, f"L{line}")


@pytest.mark.parametrize("name", PROJECT_NAMES)
def test_project_contracts(report, name):
    contracts = list(DxProject.objects.get(report=report, name=name).contracts.order_by("order"))
    if name not in CONTRACTS:
        assert contracts == []
        return
    assert len(contracts) == 1
    c = contracts[0]
    title, method, contractor, bidders, bidders_text, disclosed, estimated, amount, minimum = CONTRACTS[name]
    assert c.name == title
    assert c.method == method
    assert c.contractor == contractor
    assert c.bidders == bidders
    assert c.bidders_text.replace(" ", "") == bidders_text
    assert c.price_disclosed_in_advance == disclosed
    assert c.estimated_price_text == estimated
    assert c.contract_amount_thousand_yen == amount  # printed "… 千円"
    assert c.contract_amount_yen is None
    assert c.minimum_price_text == minimum


@pytest.mark.parametrize(("name", "field", "sentence"), PROJECT_TEXT, ids=[f"{t[0]}-{t[1]}" for t in PROJECT_TEXT])
def test_project_text(report, name, field, sentence):
    assert sentence in getattr(DxProject.objects.get(report=report, name=name), field)


# -- 第3 dashboard --------------------------------------------------------------------------------


def test_core_city_comparison_cities(report):
    # L249/262/285: 福山市 尾崎市 市 柏市 高松市 — 尾崎市 is OCR damage of 尼崎市 (13th core city by population, L279)
    cells = CoreCityComparison.objects.filter(report=report)
    assert set(cells.values_list("city", flat=True)) == {"福山市", "尼崎市", "市", "柏市", "高松市"}
    assert cells.filter(table="推進体制等").count() == 7 * 5  # L286-292
    assert cells.filter(table="自治体業務").count() == 3 * 5  # L250-252
    assert cells.filter(table="住民サービス").count() == 3 * 5  # L263-265


@pytest.mark.parametrize(
    ("table", "item", "city", "value", "line"), CORE_CITY, ids=[f"L{c[4]}-{c[2]}" for c in CORE_CITY]
)
def test_core_city_comparison_cell(report, table, item, city, value, line):
    assert CoreCityComparison.objects.get(report=report, table=table, item=item, city=city).value == value


# -- money types ------------------------------------------------------------------------------------


def test_money_fields_are_int_or_null(report):
    checked = 0
    for model, fields in [
        (DxField, ["budget_thousand_yen", "actual_thousand_yen"]),
        (
            DxFieldFunding,
            ["total_thousand_yen", "general_thousand_yen", "national_thousand_yen", "prefectural_thousand_yen"],
        ),
        (DxLine, ["budget_thousand_yen", "actual_thousand_yen"]),
        (
            ProjectFunding,
            ["total_thousand_yen", "national_thousand_yen", "prefectural_thousand_yen", "general_thousand_yen"],
        ),
    ]:
        for row in model.objects.values_list(*fields):
            for value in row:
                assert value is None or type(value) is int, (model.__name__, value)
                checked += 1
    for p in DxProject.objects.filter(report=report):
        for c in p.contracts.all():
            assert type(c.contract_amount_thousand_yen) is int
            assert c.bidders is None or type(c.bidders) is int
    assert checked > 0


# -- verbatim project texts -----------------------------------------------------------------------


def _squash(text):
    """Drop whitespace (hard wraps, stray spaces) and footnote superscripts."""
    return re.sub(r"[\s\u3000¹²³⁴⁵⁶⁷⁸⁹⁰⁽⁾]", "", text)


@pytest.fixture(scope="module")
def squashed_report():
    if not REPORT_TEXT.exists():
        pytest.skip(f"report text not available at {REPORT_TEXT}")
    return _squash(REPORT_TEXT.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def repaired_project_fields():
    """{(事業名, field)} with a repair recorded in repairs.csv (read only to know what to skip)."""
    skip = set()
    with REPAIRS_CSV.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["file"] == "budgets/projects.yaml":
                for field in row["field"].split("/"):
                    skip.add((row["record"], field.strip()))
    return skip


@pytest.mark.parametrize("name", PROJECT_NAMES)
def test_project_paragraphs_are_printed_in_the_report(squashed_report, repaired_project_fields, report, name):
    p = DxProject.objects.get(report=report, name=name)
    texts = [("content", p.content), ("results", p.results)] + [("contracts.note", c.note) for c in p.contracts.all()]
    for field, text in texts:
        if (name, field) in repaired_project_fields:
            continue
        for paragraph in text.split("\n"):
            if paragraph.strip():
                assert _squash(paragraph) in squashed_report, f"{field}: {paragraph!r}"


@pytest.fixture(scope="module")
def repaired_line_titles():
    """{(分野, 大項目, 小項目)} whose title has a repair recorded in repairs.csv."""
    skip = set()
    with REPAIRS_CSV.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            m = re.fullmatch(r"(\S+) (\d+)(?:-(\d+))?", row["record"])
            if row["file"] == "budgets/lines.csv" and row["field"] == "title" and m:
                skip.add((m[1], int(m[2]), int(m[3]) if m[3] else None))
    return skip


def test_every_line_title_is_printed_in_the_report(report, squashed_report, repaired_line_titles):
    # titles of the 具体的な取組 tables (L559-783), footnote markers and spaces aside
    missing = [
        (line.field.name, line.major_no, line.minor_no, line.title)
        for line in DxLine.objects.filter(field__report=report).select_related("field")
        if (line.field.name, line.major_no, line.minor_no) not in repaired_line_titles
        and _squash(line.title) not in squashed_report
    ]
    assert missing == []
    # the damaged titles: 地域 1/3 取り組めます (L658, L665), マイナパンバー (L622-623), Web3. 0 (L708),
    # マイナワンバー (L761-762), クーボン (L765)
    assert repaired_line_titles == {
        ("地域", 1, None),
        ("地域", 3, None),
        ("地域", 5, None),
        ("地域", 5, 1),
        ("文化", 3, None),
        ("行政", 1, None),
        ("行政", 1, 1),
        ("行政", 2, 2),
    }
