"""Issue 14, the findings list for follow-up as the audit office uses it: filter by the assigned
section and overdue, save the filter as the default view, reopen it from the saved list and by
opening the list without a query. Screenshots of the list at 1366 and 390 px (test-artifacts/screenshots
/14-*.png, and SHOTS_DIR when set)."""

import datetime
import os
import shutil
from pathlib import Path

import pytest

from .helpers import HAS_AXE, SECTION, assign, axe_blocking_violations, expect, messages

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
WIDER_THAN_SCREEN = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
NAME = "広報広聴課の期限超過"


def look(page, screenshots, name):
    if HAS_AXE:
        blocking, report = axe_blocking_violations(page)
        assert not blocking, f"{name}: {report}"
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        path = screenshots(page, f"14-{name}-{size}")
        if os.environ.get("SHOTS_DIR"):
            Path(os.environ["SHOTS_DIR"]).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(os.environ["SHOTS_DIR"]) / path.name)
        if size == "phone":
            assert page.evaluate(WIDER_THAN_SCREEN) <= 1, f"{name} is wider than a 390 px screen"
    page.set_viewport_size({"width": 1280, "height": 900})


def row(page, code):
    return page.locator("table.list tbody tr", has=page.get_by_role("link", name=code, exact=True))


def test_filter_by_assigned_section_and_overdue_save_and_reopen(people, live_app, screenshots, today_tokyo):
    late, later = live_app.findings["意見13"], live_app.findings["意見14"]
    auditor = people.as_user("b-auditor")
    past = (today_tokyo - datetime.timedelta(days=30)).isoformat()
    future = (today_tokyo + datetime.timedelta(days=90)).isoformat()
    assign(auditor, late, SECTION, reply_by=past)
    assign(auditor, later, SECTION, reply_by=future)

    # the 課 box follows the chosen 局: choose the 局, then the 課 and 期限超過
    auditor.goto("/findings/")
    bureau, section = SECTION.split(" ", 1)
    auditor.get_by_label("所管局").select_option(label=bureau)
    auditor.get_by_role("button", name="絞り込む").click()
    auditor.get_by_label("所管課").select_option(label=SECTION)
    auditor.get_by_label("期限超過").select_option(label="期限超過のみ")
    auditor.get_by_role("button", name="絞り込む").click()
    expect(row(auditor, "意見13")).to_contain_text("期限超過")
    expect(row(auditor, "意見13")).to_contain_text(SECTION)
    expect(row(auditor, "意見14")).to_have_count(0)  # assigned there too, but not overdue
    filtered = auditor.url
    assert "overdue=1" in filtered and "section=" in filtered

    # save it as the default view
    auditor.get_by_text("保存した絞り込み（").click()
    auditor.get_by_label("この条件を保存（名前）").fill(NAME)
    auditor.get_by_label("既定の一覧にする").check()
    auditor.get_by_role("button", name="保存する").click()
    expect(messages(auditor)).to_contain_text(f"絞り込み「{NAME}」を保存しました。")
    expect(row(auditor, "意見13")).to_have_count(1)
    look(auditor, screenshots, "list-filtered")

    # clear: every finding (the default is not applied again), 意見14 listed with its reply-by date
    auditor.get_by_role("link", name="条件をクリア").click()
    expect(row(auditor, "意見14")).to_have_count(1)
    expect(row(auditor, "指摘01")).to_have_count(1)
    look(auditor, screenshots, "list-all")

    # reopen from the saved list, then by opening the list without a query (the default view)
    saved = auditor.locator("details.saved-filters")
    if not saved.evaluate("d => d.open"):
        auditor.get_by_text("保存した絞り込み（").click()
    saved.get_by_role("link", name=NAME, exact=True).click()
    expect(row(auditor, "意見13")).to_have_count(1)
    expect(row(auditor, "意見14")).to_have_count(0)
    auditor.goto("/findings/")
    expect(saved.get_by_role("status")).to_contain_text(f"既定の一覧「{NAME}」の条件で表示しています。")
    expect(row(auditor, "意見13")).to_have_count(1)
    expect(row(auditor, "意見14")).to_have_count(0)
    assert auditor.get_by_label("期限超過", exact=True).input_value() == "1"

    # set it no longer default: the bare list shows everything again
    saved.get_by_role("button", name="既定を解除").click()
    expect(messages(auditor)).to_contain_text("既定の一覧から外しました")
    auditor.goto("/findings/")
    expect(row(auditor, "意見14")).to_have_count(1)
