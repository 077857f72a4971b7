from django import template

from auditreg import wareki as w
from auditreg.change_labels import filesize

register = template.Library()


@register.filter
def wareki(day):
    """{{ report.published_on|wareki }} -> 令和7年4月11日"""
    return w.format_date(day)


@register.filter
def wareki_dt(moment):
    """{{ report.updated_at|wareki_dt }} -> 令和7年4月11日 14:05 (in the city's time zone)"""
    return w.format_datetime(moment)


@register.filter
def filesize_ja(n):
    """{{ evidence.size|filesize_ja }} -> 12.1 KB"""
    return filesize(n)


@register.filter
def nendo(fiscal_year):
    """{{ 2023|nendo }} -> 令和5年度"""
    return w.format_fiscal_year(fiscal_year)


@register.filter
def amount(value, unit=""):
    """{{ line.budget_thousand_yen|amount:"千円" }} -> 75,500千円 (None -> －)"""
    return w.format_amount(value, unit)


@register.simple_tag
def variance(budget, actual):
    """{% variance line.budget_thousand_yen line.actual_thousand_yen %} -> +4,992 / -83 / －"""
    return w.format_variance(budget, actual)
