"""Small page helpers shared by the browser tests (no Django imports: the app runs in another process)."""

from __future__ import annotations

import importlib.util
import re

try:
    from playwright.sync_api import expect
except ImportError:  # the conftest skips every browser test when playwright is missing
    expect = None

SECTION = "都市政策局 広報広聴課"

# axe-core rules of JIS X 8341-3:2016 (= WCAG 2.1) levels A and AA; these impacts fail a test
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = {"critical", "serious"}
HAS_AXE = importlib.util.find_spec("axe_playwright_python") is not None


def nav(page, name: str) -> None:
    """Follow a link of the header's main menu."""
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name=name, exact=True).click()


def messages(page):
    return page.locator("ul.messages")


def assign(page, finding_pk: int, section_label: str = SECTION, reply_by: str = "") -> None:
    """The audit office assigns a finding to one section through 所管課の割当・回答期限."""
    page.goto(f"/findings/{finding_pk}/")
    page.get_by_role("link", name="所管課の割当・回答期限").click()
    wait_for_assign_page(page)
    # only this section, as a fresh choice: the picker's checkboxes, grouped by 局
    page.locator("input[data-section]:checked").evaluate_all("boxes => boxes.forEach(b => { b.checked = false; })")
    bureau, section = section_label.split(" ", 1)
    page.locator("fieldset[data-bureau]", has=page.get_by_text(f"{bureau}（すべて）", exact=True)).get_by_label(
        section, exact=True
    ).check()
    if reply_by:
        page.get_by_label("回答期限（共通）").fill(reply_by)
    page.get_by_role("button", name="割り当てる").click()
    expect(messages(page)).to_contain_text("の所管課を割り当てました。")


def wait_for_assign_page(page) -> None:
    """Wait until the assign page has loaded. Locator.evaluate_all does not wait: right after the link's
    click it may run on the finding's page, still shown, and see no section checkbox at all."""
    page.wait_for_url(re.compile(r"/findings/\d+/assign/$"))
    expect(page.locator("input[data-section]").first).to_be_attached()


def open_measure(page, finding_pk: int, section_label: str = SECTION) -> int:
    """From the finding's page, the 詳細 link of the section's measure; returns the measure id."""
    page.goto(f"/findings/{finding_pk}/")
    row = page.locator("table.list").first.locator("tbody tr", has_text=section_label)
    row.get_by_role("link", name="詳細").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"（{section_label}）")
    return int(re.search(r"/findings/measures/(\d+)/", page.url).group(1))


def save_draft(page, *, status: str, text: str, completed_on: str = "") -> None:
    page.get_by_label("措置状況").select_option(label=status)
    page.get_by_label("措置（対応）の内容").fill(text)
    if completed_on:
        page.get_by_label("措置年月日（措置済の場合）").fill(completed_on)
    page.get_by_role("button", name="下書きを保存").click()
    expect(messages(page)).to_contain_text("下書きを保存しました。")


def upload(page, path) -> None:
    with page.expect_file_chooser() as chooser:
        page.get_by_label(re.compile("^根拠資料")).click()
    chooser.value.set_files(str(path))
    # the file goes with the draft in one save (issue 13: nothing typed is lost to a second form)
    page.get_by_role("button", name="下書きを保存").click()
    expect(messages(page)).to_contain_text("根拠資料を登録しました。")


def csrf_token(page) -> str:
    """The token of a form on the current page (the CSRF cookie is HttpOnly)."""
    return page.locator("input[name=csrfmiddlewaretoken]").first.input_value()


def axe_blocking_violations(page) -> tuple[list[dict], str]:
    """Run axe-core (bundled in axe-playwright-python; injected into the page, no network) and return
    the violations of impact critical/serious with a readable report of all violations."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING_IMPACTS]
    return blocking, results.generate_report()


def summary_row(page, label: str) -> list[str]:
    """作成・変更・削除・変更なし of one kind in an import preview's 件数 table."""
    row = page.locator("#summary tbody tr").filter(has=page.locator("th", has_text=re.compile(f"^{label}$")))
    expect(row).to_have_count(1)
    return [c.strip() for c in row.locator("td").all_inner_texts()]


def change_rows(page, label: str) -> list[list[str]]:
    """対象・項目・変更前・変更後 of the rows under an import preview's 変更の内容 heading of one kind."""
    heading = page.get_by_role("heading", level=3, name=label, exact=True)
    expect(heading).to_have_count(1)
    rows = heading.locator("xpath=following-sibling::table[1]").locator("tbody tr")
    return [[c.strip() for c in row.locator("td").all_inner_texts()] for row in rows.all()]
