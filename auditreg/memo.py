"""Small facts every page reads (e.g. whether any report holds an information system list, for the
menu), kept per process for as long as the city's settings are (CITY_SETTINGS_TTL_SECONDS): a new
report shows in every process's menu within that time, and no page pays a query for them."""

import time

from django.conf import settings

from .models import SETTINGS_TTL_SECONDS

_memo: dict = {}


def remembered(key: str, compute):
    """compute() once per process and TTL (the city settings' TTL)."""

    ttl = getattr(settings, "CITY_SETTINGS_TTL_SECONDS", SETTINGS_TTL_SECONDS)
    hit = _memo.get(key)
    if hit is not None and time.monotonic() - hit[1] < ttl:
        return hit[0]
    value = compute()
    _memo[key] = (value, time.monotonic())
    return value


def forget() -> None:
    """Read everything afresh (the tests, before each test; an import in this process)."""
    _memo.clear()
