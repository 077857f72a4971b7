"""On a 390 px phone (issue 13, point 8) the pages fit the screen: nothing wider than the window, no
table that scrolls sideways. A list table becomes one card per row, each cell under its column's
heading (data-label shown before it: static/js/app.js, static/css/app.css), and axe-core still finds no
serious violation in that layout."""

import pytest

from .helpers import HAS_AXE, axe_blocking_violations, expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}

PAGES = [
    ("worklist", "b-staff", "/findings/mine/"),
    ("finding-list", "b-staff", "/findings/"),
    ("finding-detail", "b-auditor", "/findings/{意見01}/"),
    ("measure-detail", "b-staff", "/findings/measures/{measure}/"),
    ("bulk-extend", "b-auditor", "/findings/bulk/?action=extend"),
    ("dashboard", "b-auditor", "/findings/dashboard/"),
    ("status-report", "b-auditor", "/findings/status/"),
    ("round-create", "b-auditor", "/imports/inquiries/new/"),
    ("finding-assign", "b-auditor", "/findings/{意見01}/assign/"),
]

# how far the page is wider than the window, and the boxes inside it that scroll sideways
SIDEWAYS = """() => {
  const doc = document.documentElement;
  const boxes = [...document.querySelectorAll("main *")].filter(e => e.scrollWidth > e.clientWidth + 1
    && ["auto", "scroll"].includes(getComputedStyle(e).overflowX));
  return {page: doc.scrollWidth - doc.clientWidth, boxes: boxes.map(e => e.outerHTML.slice(0, 120))};
}"""
HEADING_BEFORE = """cell => getComputedStyle(cell, "::before").content"""


def phone_page(people, live_app, user, path):
    page = people.as_user(user, start=None)
    page.set_viewport_size(PHONE)
    response = page.goto(path.format(measure=live_app.a11y_measure, **live_app.findings))
    assert response.status == 200, path
    return page


@pytest.mark.parametrize(("name", "user", "path"), PAGES, ids=[p[0] for p in PAGES])
def test_nothing_scrolls_sideways_on_a_phone(people, live_app, name, user, path):
    page = phone_page(people, live_app, user, path)
    assert page.evaluate(SIDEWAYS) == {"page": 0, "boxes": []}


def test_the_work_list_is_one_card_per_measure_with_its_headings(people, live_app):
    page = phone_page(people, live_app, "b-staff", "/findings/mine/")
    table = page.locator("table.list.stack").last
    expect(table.locator("thead")).not_to_be_in_viewport()  # the headings are read before each cell
    first = table.locator("tbody tr").first
    box, window = first.bounding_box(), page.viewport_size
    assert box["x"] >= 0 and box["x"] + box["width"] <= window["width"]
    for label in ("番号", "表題", "回答期限", "措置状況（受理済）", "現在の報告"):
        cell = first.locator(f'td[data-label="{label}"]')
        expect(cell).to_be_visible()
        assert label in cell.evaluate(HEADING_BEFORE)
    # and at 1366 px it is a table again, headings on top
    page.set_viewport_size({"width": 1366, "height": 768})
    expect(table.locator("thead th").first).to_be_visible()
    assert table.locator("tbody td").first.evaluate(HEADING_BEFORE) in ("none", "normal")


@pytest.mark.skipif(not HAS_AXE, reason="axe-playwright-python is not installed")
@pytest.mark.parametrize(("name", "user", "path"), PAGES[:4], ids=[p[0] for p in PAGES[:4]])
def test_axe_finds_no_serious_violations_on_a_phone(people, live_app, name, user, path):
    page = phone_page(people, live_app, user, path)
    blocking, report = axe_blocking_violations(page)
    assert blocking == [], report
