"""Japanese era (和暦) formatting for dates and fiscal years (年度, April–March)."""

import datetime
import re
import unicodedata
from collections.abc import Callable

from django.utils import timezone

# (first day, era name); newest first. Only the eras a municipal register needs.
ERAS = [
    (datetime.date(2019, 5, 1), "令和"),
    (datetime.date(1989, 1, 8), "平成"),
    (datetime.date(1926, 12, 25), "昭和"),
]
# The dates the register accepts (forms, bundles, inquiry answers): from 昭和, the oldest era it can show
# in 和暦, to a far but finite future (a typo such as 20255 is refused, not stored). The one home of the rule.
EARLIEST = ERAS[-1][0]
LATEST = datetime.date(2200, 12, 31)


def _year_label(n: int) -> str:
    return "元" if n == 1 else str(n)


def era_of(day: datetime.date) -> tuple[str, int]:
    for start, name in ERAS:
        if day >= start:
            return name, day.year - start.year + 1
    raise ValueError(f"{day} is before 昭和")


def format_date(day: datetime.date | None) -> str:
    """2025-04-11 -> 令和7年4月11日."""
    if day is None:
        return ""
    if isinstance(day, datetime.datetime):
        day = day.date()
    try:
        era, year = era_of(day)
    except ValueError:  # before 昭和: shown in 西暦 rather than failing the page
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{era}{_year_label(year)}年{day.month}月{day.day}日"


def format_datetime(moment: datetime.datetime | None, tz: datetime.tzinfo | None = None) -> str:
    """An instant in the city's time zone: 令和7年4月11日 14:05. `tz`: that zone, looked up once by a
    caller that formats many rows (timezone.localtime per row is slow in a large sheet)."""
    if moment is None:
        return ""
    if timezone.is_aware(moment):
        moment = moment.astimezone(tz) if tz is not None else timezone.localtime(moment)
    return f"{format_date(moment.date())} {moment:%H:%M}"


def _fy2019_default() -> str:
    return "reiwa"


# The city's choice for FY2019 (CitySettings.fy2019_label), set at start-up by AuditregConfig.ready():
# a hook rather than an import, so that this formatter stays free of the models that use it.
_fy2019_setting: Callable[[], str] = _fy2019_default


def use_fy2019_setting(getter: Callable[[], str]) -> None:
    global _fy2019_setting
    _fy2019_setting = getter


def format_fiscal_year(fiscal_year: int | None, *, fy2019: str | None = None) -> str:
    """2023 -> 令和5年度. A fiscal year is named after the era of its first day's calendar year:
    FY2019 (from April 2019) is 令和元年度 although April 2019 was still 平成, unless the city writes
    平成31年度 (CitySettings.fy2019_label, or `fy2019="heisei"`)."""
    if fiscal_year is None:
        return ""
    if fiscal_year == 2019:
        if fy2019 is None:
            fy2019 = _fy2019_setting()
        return "平成31年度" if fy2019 == "heisei" else "令和元年度"
    if fiscal_year >= 2019:
        return f"令和{_year_label(fiscal_year - 2018)}年度"
    if fiscal_year >= 1989:
        return f"平成{_year_label(fiscal_year - 1988)}年度"
    if fiscal_year >= 1926:
        return f"昭和{_year_label(fiscal_year - 1925)}年度"
    return f"{fiscal_year}年度"  # before 昭和: 西暦 rather than failing the page


def format_amount(value: int | None, unit: str = "") -> str:
    """Integer amount with thousands separators and its unit; None (printed `-`) as －."""
    if value is None:
        return "－"
    return f"{value:,}{unit}"


def format_variance(budget: int | None, actual: int | None) -> str:
    """差額 a−b as the report prints it: signed with separators, `－` when both are none or equal."""
    if budget is None and actual is None:
        return "－"
    diff = (budget or 0) - (actual or 0)
    if diff == 0:
        return "－"
    return f"{diff:+,}"


# -- reading dates typed by people (forms) or found in Excel cells ---------------------------------

_ERA_NAMES = {"令和": "令和", "平成": "平成", "昭和": "昭和", "R": "令和", "H": "平成", "S": "昭和"}
_ERA_START = {name: start for start, name in ERAS}
_ERA_END = {"昭和": datetime.date(1989, 1, 7), "平成": datetime.date(2019, 4, 30), "令和": None}
_WAREKI_TEXT = re.compile(
    r"(令和|平成|昭和|R|H|S)\s*(元|\d{1,2})\s*[年.\-/]\s*(\d{1,2})\s*[月.\-/]\s*(\d{1,2})\s*日?", re.IGNORECASE
)
_SEIREKI_TEXT = re.compile(r"(\d{4})\s*[年.\-/]\s*(\d{1,2})\s*[月.\-/]\s*(\d{1,2})\s*日?")


class DateParseError(ValueError):
    """A date that cannot be read, with the reason in Japanese (shown to the user as is)."""


def parse_date(text: str) -> datetime.date:
    """The one reader of typed dates: 2025-04-01, 2025/4/1, 2025年4月1日, 令和7年4月1日, 令和元年5月1日,
    R7.4.1, H31.4.30 (full-width digits too). The era is checked: 平成35年 and 令和1年4月1日 (still 平成)
    are refused, as is a day that does not exist."""
    value = unicodedata.normalize("NFKC", str(text)).strip()
    if m := _SEIREKI_TEXT.fullmatch(value):
        try:
            return datetime.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            raise DateParseError(f"存在しない日付です（{text}）。") from None
    m = _WAREKI_TEXT.fullmatch(value)
    if m is None:
        raise DateParseError(
            f"日付として読めません（{text}）。令和7年4月1日、R7.4.1、2025-04-01 の形で入力してください。"
        )
    era = _ERA_NAMES[m[1].upper() if len(m[1]) == 1 else m[1]]
    year = 1 if m[2] == "元" else int(m[2])
    if year < 1:
        raise DateParseError(f"{era}0年はありません（{text}）。")
    start = _ERA_START[era]
    try:
        day = datetime.date(start.year + year - 1, int(m[3]), int(m[4]))
    except ValueError:
        raise DateParseError(f"存在しない日付です（{text}）。") from None
    end = _ERA_END[era]
    if day < start or (end is not None and day > end):
        last = f"{format_date(end)}まで" if end else ""
        raise DateParseError(
            f"{era}{_year_label(year)}年{day.month}月{day.day}日はありません（{era}は{format_date(start)}から{last}）。"
        )
    return day
