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
@pytest.mark.django_db  # FY2019 reads the city's setting (令和元年度 unless it says 平成31年度)
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


# -- the one era-checked parser (issue 13, point 7) -----------------------------------------------

import datetime as _dt  # noqa: E402

from auditreg.wareki import DateParseError, parse_date  # noqa: E402


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("令和7年4月1日", _dt.date(2025, 4, 1)),
        ("R7.4.1", _dt.date(2025, 4, 1)),
        ("r07.04.01", _dt.date(2025, 4, 1)),
        ("2025-04-01", _dt.date(2025, 4, 1)),
        ("2025/4/1", _dt.date(2025, 4, 1)),
        ("２０２５年４月１日", _dt.date(2025, 4, 1)),
        ("令和元年5月1日", _dt.date(2019, 5, 1)),
        ("H31.4.30", _dt.date(2019, 4, 30)),
        ("平成元年1月8日", _dt.date(1989, 1, 8)),
        ("昭和64年1月7日", _dt.date(1989, 1, 7)),
    ],
)
def test_parse_date_reads_what_people_type(text, day):
    assert parse_date(text) == day


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("平成35年1月1日", "平成35年1月1日はありません"),
        ("令和1年4月1日", "令和元年4月1日はありません"),  # April 2019 was still 平成
        ("H31.5.1", "平成31年5月1日はありません"),
        ("昭和64年1月8日", "はありません"),
        ("令和0年5月1日", "令和0年はありません"),
        ("R7.2.30", "存在しない日付"),
        ("来週", "日付として読めません"),
    ],
)
def test_parse_date_checks_the_era(text, says):
    with pytest.raises(DateParseError, match=says):
        parse_date(text)


def test_format_datetime_is_in_the_city_time_zone():
    from django.utils import timezone

    from auditreg.wareki import format_datetime

    moment = _dt.datetime(2025, 4, 10, 23, 30, tzinfo=_dt.UTC)
    assert timezone.get_current_timezone_name() == "Asia/Tokyo"
    assert format_datetime(moment) == "令和7年4月11日 08:30"
