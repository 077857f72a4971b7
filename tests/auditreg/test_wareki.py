import datetime

import pytest

from auditreg.wareki import format_amount, format_date, format_fiscal_year, format_variance


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (datetime.date(2025, 4, 11), "令和7年4月11日"),  # the gazette's date
        (datetime.date(2019, 5, 1), "令和元年5月1日"),
        (datetime.date(2019, 4, 30), "平成31年4月30日"),
        (datetime.date(1989, 1, 8), "平成元年1月8日"),
        (datetime.date(1989, 1, 7), "昭和64年1月7日"),
        (None, ""),
    ],
)
def test_format_date(day, expected):
    assert format_date(day) == expected


@pytest.mark.parametrize(
    ("fiscal_year", "expected"),
    [(2023, "令和5年度"), (2019, "令和元年度"), (2018, "平成30年度"), (1989, "平成元年度"), (1988, "昭和63年度")],
)
def test_format_fiscal_year(fiscal_year, expected):
    assert format_fiscal_year(fiscal_year) == expected


def test_amounts_and_variance():
    assert format_amount(430968, "千円") == "430,968千円"
    assert format_amount(0, "百万円") == "0百万円"
    assert format_amount(None, "千円") == "－"  # printed `-`: none, not zero
    assert format_variance(146123, 141131) == "+4,992"
    assert format_variance(11000, 11083) == "-83"
    assert format_variance(1800, 1800) == "－"
    assert format_variance(None, None) == "－"
    assert format_variance(4000, None) == "+4,000"
