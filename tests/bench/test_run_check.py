"""bench/run.py --short's verdict: a ratio past its CI bound fails only when every confirming run
passes it too (one burst of load stretches a p95 alone), and a query count that differs from the
30,000-finding run always fails."""

import importlib.util
from pathlib import Path

import pytest
from django.conf import settings


def _bench():
    spec = importlib.util.spec_from_file_location("bench_run_check", Path(settings.BASE_DIR) / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


run = _bench()


def _result(**ratios):
    """Every page of GOALS at its CI bound, overridden by **ratios."""
    pages = {}
    for name, (ratio, _, bound) in run.GOALS.items():
        pages[name] = {ratio: ratios.get(name, bound), "queries": 8}
    return {"pages": pages, "search_2_vs_4": {"sql_median": 1.0}}


def _confirm(result, again: list[float], monkeypatch):
    """confirm() with each re-measure of the failing page giving the next ratio of `again`."""
    calls = []

    def measure_page(b, floor, name, definition, admin_same):
        calls.append(name)
        return {run.GOALS[name][0]: again[len(calls) - 1], "queries": 8}

    monkeypatch.setattr(run, "page_definitions", lambda b: {name: None for name in run.GOALS})
    monkeypatch.setattr(run, "measure_page", measure_page)
    run.confirm(None, None, result, {})
    return calls


def test_ratios_within_bound_plus_noise_pass():
    result = _result(findings_list=run.GOALS["findings_list"][2] + run.NOISE)
    assert run.check(result, None) == []


def test_a_ratio_past_its_bound_that_a_rerun_does_not_confirm_passes(monkeypatch):
    bound = run.GOALS["findings_list"][2]
    result = _result(findings_list=bound + run.NOISE + 0.8)
    calls = _confirm(result, [bound + run.NOISE + 0.5, bound], monkeypatch)
    assert calls == ["findings_list", "findings_list"]
    assert run.check(result, None) == []
    assert result["pages"]["findings_list"]["confirm_runs"] == [bound + run.NOISE + 0.8, bound + run.NOISE + 0.5, bound]


def test_a_ratio_past_its_bound_in_every_run_fails(monkeypatch):
    bound = run.GOALS["dashboard"][2]
    high = bound + run.NOISE + 0.1
    result = _result(dashboard=high)
    calls = _confirm(result, [high] * run.CONFIRM_RUNS, monkeypatch)
    assert len(calls) == run.CONFIRM_RUNS
    failures = run.check(result, None)
    assert len(failures) == 1 and failures[0].startswith("dashboard: x_sql_median")


def test_pages_within_their_bound_are_not_measured_again(monkeypatch):
    assert _confirm(_result(), [], monkeypatch) == []


def test_a_query_count_that_differs_from_the_large_run_fails():
    failures = run.check(_result(), {"findings_list": 9})
    assert failures == ["findings_list: 8 queries here, 9 at 30,000 findings"]


@pytest.mark.parametrize("refresh_on", [1, 2])
def test_a_page_counts_without_the_session_refresh(django_user_model, db, refresh_on):
    """The once-a-minute write of the session's last-seen time is not the page's: the count keeps the
    call without it, whichever of the two it falls on."""
    calls = []

    def page():
        calls.append(1)
        if len(calls) == refresh_on:  # the refresh: 3 more queries on this call only
            django_user_model.objects.filter(pk=0).update(first_name="x")
            django_user_model.objects.filter(pk=0).exists()
            django_user_model.objects.filter(pk=0).exists()
        django_user_model.objects.filter(pk=0).exists()

    assert run._query_count(page) == 1
    assert len(calls) == 2
