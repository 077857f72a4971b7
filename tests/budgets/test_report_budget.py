"""The imported DX budget checked against the printed report (kanazawa-gazette-3177-2.txt): the
取組分野別 and 財源別 事業費 and every 具体的な取組 line.

Expected values are typed from the report text (not from the fixture files); "L505" = line 505 of the text.
A printed "-" is stored as NULL; the report's 差額 treats it as zero.
"""

import pytest

from budgets.models import DxField, DxFieldFunding, DxLine

from .report_data_helpers import N

pytestmark = pytest.mark.django_db

# ① 取組分野別の事業費 (千円), L504-510: (分野, 予算額 a, 決算額 b, 差額 a-b, line)
FIELDS = [
    ("産業", 146123, 141131, 4992, 505),
    ("地域", 27480, 20264, 7216, 506),
    ("文化", 57900, 54198, 3702, 507),
    ("教育", 19700, 13216, 6484, 508),
    ("行政", 179765, 168144, 11621, 509),
]
FIELD_NAMES = [f[0] for f in FIELDS]
FIELDS_TOTAL = (430968, 396953, 34015)  # L510 合計 430,968 396,953 +34,015

# ② 財源 (千円): (合計, 一般財源等, 国, 県)
FUNDING_BUDGET = {  # L521-526; 県 is printed only in the 合計 row (L587)
    "産業": (146123, 104722, 41401),  # L522
    "地域": (27480, 20930, 6550),  # L523
    "文化": (57900, 34450, 23450),  # L524
    "教育": (19700, 12800, 6900),  # L525
    "行政": (179765, 147527, 31971),  # L526
}
FUNDING_BUDGET_TOTAL = (430968, 320429, 110272, 267)  # L587
FUNDING_ACTUAL = {  # L588-593
    "産業": (141131, 99342, 41789, N),  # L589
    "地域": (20264, 16064, 4200, N),  # L590
    "文化": (54198, 30766, 23432, N),  # L591
    "教育": (13216, 7529, 5687, N),  # L592
    "行政": (168144, 142513, 25519, 112),  # L593
}
FUNDING_ACTUAL_TOTAL = (396953, 296214, 100627, 112)  # L594

# ③ 具体的な取組別の事業費 (千円): {分野: {(大項目, 小項目 or None): (予算額, 決算額)}}
LINES = {
    "産業": {  # L606-615, then L561-572 (second half printed earlier); 産業合計 L573
        (1, None): (11000, 11083),  # L607
        (1, 1): (6000, 6052),
        (1, 2): (5000, 5031),
        (2, None): (45323, 43548),  # L610
        (2, 1): (16750, 15845),
        (2, 2): (5000, 5060),
        (2, 3): (23573, 22643),
        (3, None): (2800, 2882),  # L614
        (3, 1): (2800, 2882),
        (3, 2): (N, N),  # L561
        (3, 3): (N, N),  # L562
        (4, None): (11000, 8528),  # L563
        (4, 1): (1800, 1800),
        (4, 2): (2000, 2000),
        (4, 3): (6200, 4228),
        (4, 4): (1000, 500),
        (5, None): (76000, 75090),  # L568
        (5, 1): (75500, 74590),
        (5, 2): (N, N),
        (5, 3): (500, 500),
        (5, 4): (N, N),  # L572
    },
    "地域": {  # L657-671, then L621-629; 地域合計 L630
        (1, None): (7900, 7164),  # L658
        (1, 1): (7700, 7014),
        (1, 2): (200, 150),
        (2, None): (3620, 2549),  # L661
        (2, 1): (3400, 2329),
        (2, 2): (220, 220),
        (2, 3): (N, N),
        (3, None): (2290, 1149),  # L665
        (3, 1): (1500, 596),
        (3, 2): (790, 553),
        (4, None): (3330, 3142),  # L668
        (4, 1): (3120, 3090),
        (4, 2): (210, 52),
        (4, 3): (N, N),  # L671
        (5, None): (7600, 3520),  # L622
        (5, 1): (7600, 3520),
        (6, None): (N, N),  # L624
        (6, 1): (N, N),
        (7, None): (2740, 2740),  # L626
        (7, 1): (2740, 2740),
        (8, None): (N, N),  # L628
        (8, 1): (N, N),  # L629
    },
    "文化": {  # L642-647, then L707-713; 文化合計 L714
        (1, None): (36900, 36345),  # L643
        (1, 1): (36900, 36345),
        (2, None): (9000, 6719),  # L645
        (2, 1): (N, N),
        (2, 2): (5942, 5942),  # L647
        (2, 3): (3058, 777),  # L707 "3, 058 777"
        (3, None): (2000, 520),  # L708
        (3, 1): (2000, 520),
        (4, None): (10000, 10614),  # L710
        (4, 1): (10000, 10614),
        (5, None): (N, N),  # L712
        (5, 1): (N, N),  # L713
    },
    "教育": {  # L727, then L682-695; 教育合計 L696
        (1, None): (13800, 12408),  # L727 "13, 800 12, 408"
        (1, 1): (11800, 10408),  # L682
        (1, 2): (2000, 2000),
        (1, 3): (N, N),
        (1, 4): (N, N),
        (2, None): (4000, N),  # L686 "4, 000 -"
        (2, 1): (4000, N),
        (3, None): (1000, 166),  # L688
        (3, 1): (1000, 166),
        (4, None): (900, 642),  # L690
        (4, 1): (900, 642),
        (4, 2): (N, N),
        (5, None): (N, N),  # L693
        (5, 1): (N, N),
        (5, 2): (N, N),  # L695
    },
    "行政": {  # L761-782; 行政合計 L783
        (1, None): (28800, 28718),  # L761
        (1, 1): (28800, 28718),
        (2, None): (110942, 110868),  # L763
        (2, 1): (90654, 90422),
        (2, 2): (3300, 3644),
        (2, 3): (4488, 4488),
        (2, 4): (12500, 12314),
        (2, 5): (N, N),  # L768
        (3, None): (12630, 13475),  # L769
        (3, 1): (6500, 5988),
        (3, 2): (6130, 6387),
        (3, 3): (N, N),
        (3, 4): (N, 1100),  # L773 "- 1,100"
        (4, None): (2452, 2482),  # L774
        (4, 1): (2452, 2482),
        (5, None): (6541, 8404),  # L776
        (5, 1): (6541, 8404),
        (5, 2): (N, N),
        (6, None): (18400, 4197),  # L779
        (6, 1): (N, N),
        (6, 2): (4400, 4098),  # L781 （再掲）
        (6, 3): (14000, 99),  # L782
    },
}

# Printed 差額 a-b for some rows: (分野, 大項目, 小項目, 差額 or None where both amounts are "-", line)
VARIANCES = [
    ("産業", 1, None, -83, 607),
    ("産業", 1, 1, -52, 608),
    ("産業", 5, None, 910, 568),
    ("産業", 3, 2, None, 561),
    ("地域", 3, None, 1141, 665),
    ("文化", 4, None, -614, 710),
    ("教育", 2, None, 4000, 686),  # 決算額 "-"
    ("行政", 2, 2, -344, 765),
    ("行政", 3, 4, -1100, 773),  # 予算額 "-"
    ("行政", 5, None, -1863, 776),
    ("行政", 6, None, 14203, 779),
    ("行政", 6, 2, 302, 781),
    ("行政", 6, 3, 13901, 782),
    ("行政", 2, 5, None, 768),
]

# Titles whose printed form needed no judgement beyond the recorded OCR/footnote repairs.
TITLES = [
    ("産業", 1, 2, "メタバースを活用した金沢の文化や伝統の発信"),  # L609 (footnote ⁹ dropped)
    ("産業", 2, 1, "金沢 MaaS による便利な移動サービスの提供"),  # L611 (footnote ¹⁰ dropped), L1428
    ("産業", 5, 1, "レーザーセンシング技術を活用したスマート林業の推進"),  # L569, L1394
    ("地域", 1, None, "デジタル技術を活用した地域活動の活性化に取り組みます"),  # L634, L1481 (L658 取り組めます)
    ("地域", 5, None, "マイナンバーカードを地域活性化に活用します"),  # L622 マイナパンバーカード (OCR)
    ("文化", 1, 1, "デジタルミュージアムによる新たな文化体験の提供"),  # L644, L1544
    ("教育", 1, 1, "子供の興味・関心・意欲・技能に合わせた学びの機会の提供"),  # L682, L1627
    ("行政", 1, None, "マイナンバーカードを活用したサービス導入に取り組みます"),  # L761 マイナワンバーカード (OCR)
    ("行政", 2, 2, "クーポンの電子化"),  # L765 クーボン (OCR)
    ("行政", 6, 2, "ドローンやIoT技術等を活用した防災・減災（再掲）"),  # L781
    ("行政", 6, 3, "ARを活用したデジタルハザードマップアプリの導入"),  # L782 (footnote ²² dropped)
]


def _line(report, field, major, minor):
    return DxLine.objects.get(field__report=report, field__name=field, major_no=major, minor_no=minor)


# -- 分野 ----------------------------------------------------------------------------------------


def test_five_fields_in_order(report):
    # L362 産業、地域、文化、教育 + 行政; L504-509
    assert list(DxField.objects.filter(report=report).order_by("order").values_list("name", flat=True)) == FIELD_NAMES


@pytest.mark.parametrize(("name", "budget", "actual", "variance", "line"), FIELDS, ids=FIELD_NAMES)
def test_field_budget_and_actual(report, name, budget, actual, variance, line):
    f = DxField.objects.get(report=report, name=name)
    assert (f.budget_thousand_yen, f.actual_thousand_yen) == (budget, actual), f"L{line}"
    assert f.budget_thousand_yen - f.actual_thousand_yen == variance, f"L{line}"


def test_fields_add_up_to_printed_total(report):
    # L510 合計 430,968 396,953 +34,015 (also L514)
    fields = DxField.objects.filter(report=report)
    assert sum(f.budget_thousand_yen for f in fields) == FIELDS_TOTAL[0]
    assert sum(f.actual_thousand_yen for f in fields) == FIELDS_TOTAL[1]
    assert sum(f.budget_thousand_yen - f.actual_thousand_yen for f in fields) == FIELDS_TOTAL[2]


def test_two_largest_fields_as_in_the_text(report):
    # L514: 行政 + 産業 = 325,888 千円 (予算) / 309,275 千円 (決算)
    two = DxField.objects.filter(report=report, name__in=["行政", "産業"])
    assert sum(f.budget_thousand_yen for f in two) == 325888
    assert sum(f.actual_thousand_yen for f in two) == 309275


# -- 財源 ------------------------------------------------------------------------------------------


def _funding(report, name, basis):
    return DxFieldFunding.objects.get(field__report=report, field__name=name, basis=basis)


@pytest.mark.parametrize("name", FIELD_NAMES)
def test_field_funding_budget(report, name):
    f = _funding(report, name, "budget")
    assert (f.total_thousand_yen, f.general_thousand_yen, f.national_thousand_yen) == FUNDING_BUDGET[name]


@pytest.mark.parametrize("name", FIELD_NAMES)
def test_field_funding_actual(report, name):
    f = _funding(report, name, "actual")
    got = (f.total_thousand_yen, f.general_thousand_yen, f.national_thousand_yen, f.prefectural_thousand_yen)
    assert got == FUNDING_ACTUAL[name]


def test_gyosei_budget_prefectural_is_the_remainder_of_its_row(report):
    # L526 prints 179,765 147,527 31,971 for 行政 and no 県 cell; the 県 合計 is 267 (L587), and
    # 179,765 - 147,527 - 31,971 = 267
    assert _funding(report, "行政", "budget").prefectural_thousand_yen == 267


@pytest.mark.parametrize(
    ("basis", "printed"), [("budget", FUNDING_BUDGET_TOTAL), ("actual", FUNDING_ACTUAL_TOTAL)], ids=["budget", "actual"]
)
def test_field_funding_columns_add_up_to_printed_total(report, basis, printed):
    rows = DxFieldFunding.objects.filter(field__report=report, basis=basis)
    assert rows.count() == 5
    columns = ("total_thousand_yen", "general_thousand_yen", "national_thousand_yen", "prefectural_thousand_yen")
    sums = tuple(sum(getattr(r, c) or 0 for r in rows) for c in columns)
    assert sums == printed


def test_general_funds_share_as_in_the_text(report):
    # L598: 一般財源等 320,429 (予算) / 296,214 (決算)
    assert sum(f.general_thousand_yen for f in DxFieldFunding.objects.filter(field__report=report, basis="budget")) == (
        320429
    )
    assert sum(f.general_thousand_yen for f in DxFieldFunding.objects.filter(field__report=report, basis="actual")) == (
        296214
    )


# -- 具体的な取組 -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FIELD_NAMES)
def test_lines_of_each_field_are_the_printed_rows(report, name):
    got = {
        (line.major_no, line.minor_no): (line.budget_thousand_yen, line.actual_thousand_yen)
        for line in DxLine.objects.filter(field__report=report, field__name=name)
    }
    assert got == LINES[name]


def test_line_counts_29_major_63_minor(report):
    lines = DxLine.objects.filter(field__report=report)
    assert lines.filter(minor_no__isnull=True).count() == 29
    assert lines.filter(minor_no__isnull=False).count() == 63
    assert sum(len(v) for v in LINES.values()) == 92


@pytest.mark.parametrize("name", FIELD_NAMES)
def test_minor_lines_add_up_to_their_major_line(report, name):
    # every 大項目 row of the printed tables equals the sum of its 小項目 rows ("-" counting as 0)
    lines = list(DxLine.objects.filter(field__report=report, field__name=name))
    majors = {key[0] for key in LINES[name]}
    for major in majors:
        printed_budget, printed_actual = LINES[name][(major, None)]
        minors = [line for line in lines if line.major_no == major and line.minor_no is not None]
        assert minors, (name, major)
        assert sum(m.budget_thousand_yen or 0 for m in minors) == (printed_budget or 0), (name, major)
        assert sum(m.actual_thousand_yen or 0 for m in minors) == (printed_actual or 0), (name, major)


@pytest.mark.parametrize(("name", "budget", "actual", "variance", "line"), FIELDS, ids=FIELD_NAMES)
def test_major_lines_add_up_to_the_printed_field(report, name, budget, actual, variance, line):
    # ○○合計 rows (L573, 630, 714, 696, 783) equal the 分野 table (L505-509)
    majors = DxLine.objects.filter(field__report=report, field__name=name, minor_no__isnull=True)
    assert sum(m.budget_thousand_yen or 0 for m in majors) == budget
    assert sum(m.actual_thousand_yen or 0 for m in majors) == actual


@pytest.mark.parametrize(
    ("name", "major", "minor", "variance", "line"), VARIANCES, ids=[f"{v[0]}{v[1]}-{v[2]}" for v in VARIANCES]
)
def test_derived_variance_equals_printed_sagaku(report, name, major, minor, variance, line):
    assert _line(report, name, major, minor).variance_thousand_yen == variance, f"L{line}"


def test_dash_rows_are_null_not_zero(report):
    # L561 産業 3-2 "- - -", L624 地域 6 "- - -", L768 行政 2-5 "- - -"
    for name, major, minor in [("産業", 3, 2), ("地域", 6, None), ("行政", 2, 5), ("教育", 5, 2)]:
        line = _line(report, name, major, minor)
        assert line.budget_thousand_yen is None and line.actual_thousand_yen is None, (name, major, minor)
    # L686 教育 2 "4, 000 -": budget printed, actual "-"
    assert _line(report, "教育", 2, None).actual_thousand_yen is None
    # L773 行政 3-4 "- 1,100"
    assert _line(report, "行政", 3, 4).budget_thousand_yen is None


def test_gyosei_6_2_reprint_row(report):
    # L781 2 ドローンやIoT技術等を活用した防災・減災（再掲） 4,400 4,098 +302
    # — and counted in 大項目 6 (18,400 / 4,197, L779)
    line = _line(report, "行政", 6, 2)
    assert line.reprint is True
    assert (line.budget_thousand_yen, line.actual_thousand_yen) == (4400, 4098)
    assert list(DxLine.objects.filter(field__report=report, reprint=True)) == [line]


@pytest.mark.parametrize(("name", "major", "minor", "title"), TITLES, ids=[f"{t[0]}{t[1]}-{t[2]}" for t in TITLES])
def test_line_title(report, name, major, minor, title):
    assert _line(report, name, major, minor).title == title
