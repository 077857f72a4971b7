"""Accessibility basics (JIS X 8341-3:2016 = WCAG 2.1, levels A/AA) on the main pages, in Chromium:
language, one <h1>, labelled form controls, a skip link that shows on focus and works, keyboard order
of the header, keyboard-only login and logout, and axe-core (bundled with axe-playwright-python, no
network) with no "critical" or "serious" violations."""

import re

import pytest

from .helpers import HAS_AXE, axe_blocking_violations, expect

pytestmark = pytest.mark.browser

# (id, who is logged in, path); the path may name a finding or the seeded measure
PAGES = [
    ("login", None, "/login/"),
    ("finding-list", "b-auditor", "/findings/"),
    ("finding-detail", "b-auditor", "/findings/{意見01}/"),
    ("measure-detail", "b-staff", "/findings/measures/{measure}/"),
    ("dashboard", "b-auditor", "/findings/dashboard/"),
    ("status-report", "b-auditor", "/findings/status/"),
    ("round-create", "b-auditor", "/imports/inquiries/new/"),
    ("worklist", "b-staff", "/findings/mine/"),
    ("finding-assign", "b-auditor", "/findings/{意見01}/assign/"),
]
SCREENSHOT_NAMES = {"login": "01-login", "finding-list": "02-finding-list"}

UNLABELLED_CONTROLS = """() => {
  const named = el => (el.labels && [...el.labels].some(l => l.textContent.trim()))
    || (el.getAttribute('aria-label') || '').trim()
    || (el.getAttribute('aria-labelledby') || '').split(/\\s+/).some(id => id && document.getElementById(id));
  return [...document.querySelectorAll('input, select, textarea')]
    .filter(el => el.type !== 'hidden' && !named(el))
    .map(el => el.outerHTML.slice(0, 160));
}"""
ORPHAN_LABELS = """() => [...document.querySelectorAll('label')]
  .filter(l => !l.control)
  .map(l => l.outerHTML.slice(0, 160))"""
NAMELESS_BUTTONS = """() => [...document.querySelectorAll('button, a[href]')]
  .filter(el => !el.textContent.trim() && !(el.getAttribute('aria-label') || '').trim())
  .map(el => el.outerHTML.slice(0, 160))"""
ACTIVE = """() => {
  const el = document.activeElement;
  return {tag: el.tagName.toLowerCase(), id: el.id, cls: el.className, href: el.getAttribute('href'),
          text: (el.textContent || '').trim(), inMain: !!el.closest('main'), inNav: !!el.closest('nav')};
}"""


def open_page(people, live_app, user, path):
    path = path.format(measure=live_app.a11y_measure, **live_app.findings)
    page = people.as_user(user, start=None) if user else people.anonymous()
    response = page.goto(path)
    assert response.status == 200, f"{path}: {response.status}"
    if user:
        assert "/login/" not in page.url, f"the saved session of {user} no longer works"
    return page


def active(page) -> dict:
    return page.evaluate(ACTIVE)


@pytest.mark.parametrize(("name", "user", "path"), PAGES, ids=[p[0] for p in PAGES])
def test_page_structure_and_labels(people, live_app, screenshots, name, user, path):
    page = open_page(people, live_app, user, path)
    if name in SCREENSHOT_NAMES:
        screenshots(page, SCREENSHOT_NAMES[name])

    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.title().strip()
    expect(page.locator("h1")).to_have_count(1)
    assert page.evaluate(UNLABELLED_CONTROLS) == []
    assert page.evaluate(ORPHAN_LABELS) == []
    assert page.evaluate(NAMELESS_BUTTONS) == []
    expect(page.locator("a.skip")).to_have_attribute("href", "#main")
    expect(page.locator("main#main")).to_have_count(1)
    if user:
        expect(page.get_by_role("navigation", name="メインメニュー")).to_be_visible()


TAB_PAGES = [pytest.param(*p, id=p[0]) for p in PAGES]


@pytest.mark.parametrize(("name", "user", "path"), TAB_PAGES)
def test_tab_reaches_skip_link_first_then_main_menu(people, live_app, name, user, path):
    page = open_page(people, live_app, user, path)
    skip = page.locator("a.skip")
    assert skip.bounding_box()["x"] < 0, "the skip link is off-screen until focused"

    if name == "login":
        # the login page puts the caret in ユーザー名 (autofocus, issue 13): the skip link is then two
        # Shift+Tabs back, before the site name, and the order from there on is the same
        expect(page.locator("#id_username")).to_be_focused()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Shift+Tab")
    else:
        # the skip link is the first thing Tab reaches, and it shows when focused
        page.keyboard.press("Tab")
    first = active(page)
    assert (first["tag"], first["href"], first["text"]) == ("a", "#main", "本文へ移動")
    assert_on_screen(page, skip)

    # next: the site name, then each link of the main menu in order (logged-in pages)
    nav_links = page.locator("header nav a").all_inner_texts()
    if user:
        assert nav_links, "logged-in pages have a main menu"
    sequence = []
    for _ in range(len(nav_links) + 1):
        page.keyboard.press("Tab")
        sequence.append(active(page))
    assert sequence[0]["text"] == "監査結果措置管理"
    assert [s["text"] for s in sequence[1:]] == nav_links
    assert all(s["inNav"] for s in sequence[1:])

    # activating the skip link moves on to the content: the next Tab lands inside <main>
    for _ in range(len(sequence)):
        page.keyboard.press("Shift+Tab")
    assert active(page)["href"] == "#main"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))  # waits: the URL may update after the keypress returns
    page.keyboard.press("Tab")
    landed = active(page)
    assert landed["inMain"], f"after the skip link, Tab went to {landed}"


def assert_on_screen(page, locator):
    box = locator.bounding_box()
    viewport = page.viewport_size
    assert box["width"] > 0 and box["height"] > 0
    assert 0 <= box["x"] < viewport["width"] and 0 <= box["y"] < viewport["height"]
    expect(locator).to_be_in_viewport()


def test_login_and_logout_with_the_keyboard_only(people):
    page = people.anonymous()
    page.goto("/login/")
    for _ in range(5):  # the field has autofocus today; without it, Tab leads there
        if active(page)["id"] == "id_username":
            break
        page.keyboard.press("Tab")
    assert active(page)["id"] == "id_username"
    # backwards from the form: the site name, then the skip link, which shows on focus
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert active(page)["href"] == "#main"
    assert_on_screen(page, page.locator("a.skip"))
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert active(page)["id"] == "id_username"
    page.keyboard.type("b-other")
    page.keyboard.press("Tab")
    assert active(page)["id"] == "id_password"
    page.keyboard.type("Browser-Test-Pass-2025!")
    page.keyboard.press("Tab")
    assert (active(page)["tag"], active(page)["text"]) == ("button", "ログイン")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login/" not in url)
    expect(page.locator("header.site .account")).to_contain_text("市民 担当")

    # log out with the keyboard: the button in the header
    for _ in range(20):
        page.keyboard.press("Tab")
        if active(page)["text"] == "ログアウト":
            break
    assert (active(page)["tag"], active(page)["text"]) == ("button", "ログアウト")
    page.keyboard.press("Enter")
    page.wait_for_url("**/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("ログイン")
    page.goto("/findings/")
    assert "/login/" in page.url  # the session is gone


def test_login_form_submits_with_enter_and_reports_errors_accessibly(people):
    page = people.anonymous()
    page.goto("/login/")
    page.get_by_label("ユーザー名").fill("b-staff")
    page.get_by_label("パスワード").fill("wrong-password-1")
    page.get_by_label("パスワード").press("Enter")
    error = page.get_by_role("alert")
    expect(error).to_be_visible()
    expect(error).not_to_be_empty()
    expect(page.get_by_label("ユーザー名")).to_have_value("b-staff")


@pytest.mark.skipif(not HAS_AXE, reason="axe-playwright-python is not installed")
@pytest.mark.parametrize(("name", "user", "path"), PAGES, ids=[p[0] for p in PAGES])
def test_axe_finds_no_serious_violations(people, live_app, name, user, path):
    page = open_page(people, live_app, user, path)
    blocking, report = axe_blocking_violations(page)
    assert not blocking, report
