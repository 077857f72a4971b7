"""Issue 13, the daily work as each role does it in a browser: no dead end in approval (課内差戻し), text
never lost (one form for text and file, the idle warning, a save after expiry), clear outcomes, history
in Japanese, the finding's text beside the forms, the section picker, 和暦 both ways, 390 px screens,
start pages, password change, 出典と修復 for the office only. Screenshots at 1366×768 and 390×844 of
every page changed (test-artifacts/screenshots/13-*.png) and axe-core on each new page state."""

import re

import pytest

from .conftest import PASSWORD, login
from .helpers import HAS_AXE, SECTION, assign, axe_blocking_violations, expect, messages

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
WIDER_THAN_SCREEN = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def look(page, screenshots, name, *, a11y=True):
    """Screenshots at both sizes (the page reloaded at each), no horizontal scrolling on the phone,
    and axe-core without serious violations on this state of the page."""
    if a11y and HAS_AXE:
        blocking, report = axe_blocking_violations(page)
        assert not blocking, f"{name}: {report}"
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        screenshots(page, f"13-{name}-{size}")
        if size == "phone":
            assert page.evaluate(WIDER_THAN_SCREEN) <= 1, f"{name} is wider than a 390 px screen"
    page.set_viewport_size({"width": 1280, "height": 900})


def measure_url(page) -> str:
    return re.search(r"/findings/measures/\d+/", page.url).group(0)


def test_head_hands_back_instead_of_editing_and_approves_after_the_staff_saves(
    people, live_app, screenshots, small_pdf
):
    finding = live_app.findings["意見10"]
    assign(people.as_user("b-auditor"), finding, SECTION)

    # --- 担当 writes the draft and attaches the PDF in the same save (one form, one button)
    staff = people.as_user("b-staff")
    staff.goto(f"/findings/{finding}/")
    staff.locator("table.list").first.locator("tbody tr", has_text=SECTION).get_by_role("link", name="詳細").click()
    url = measure_url(staff)
    # the finding's text is on the page, collapsible
    text_block = staff.locator("details.finding-text")
    expect(text_block).to_have_attribute("open", "")
    expect(text_block.locator("summary")).to_contain_text("報告書の記載：意見10")
    staff.get_by_label("措置状況").select_option(label="措置予定・検討中")
    staff.get_by_label("措置（対応）の内容").fill("検討の体制を整えた。")
    expect(staff.locator("#id_text_counter")).to_have_text("10 / 10,000 文字")
    staff.get_by_label("報告日（この内容の時点）").fill("R7.4.1")
    staff.get_by_label(re.compile("^根拠資料")).set_input_files(str(small_pdf))
    staff.get_by_role("button", name="下書きを保存").click()
    expect(messages(staff)).to_contain_text("下書きを保存しました。根拠資料を登録しました。")
    expect(messages(staff).locator("li.success")).to_be_visible()
    expect(staff.get_by_role("link", name=small_pdf.name)).to_be_visible()
    expect(staff.locator("dl.meta").nth(1)).to_contain_text("令和7年4月1日")  # R7.4.1 echoed in 和暦
    expect(staff.get_by_label("報告日（この内容の時点）")).to_have_value("令和7年4月1日")
    look(staff, screenshots, "measure-staff")

    # --- 課長 is told before saving that editing bars him, and hands the draft back instead
    head = people.as_user("b-head1", start=None)
    head.goto(url)
    warning = head.locator("#save-bars-approval")
    expect(warning).to_contain_text("保存すると、あなたはこの報告を承認できなくなります。")
    expect(head.get_by_role("button", name="下書きを保存")).to_have_attribute("aria-describedby", "save-bars-approval")
    head.get_by_text("担当に差し戻す（課内差戻し）", exact=True).click()
    head.get_by_role("button", name="担当に差し戻す").click()  # empty comment: refused, summary on top
    summary = head.locator(".error-summary")
    expect(summary).to_contain_text("入力内容を確認してください")
    expect(summary.get_by_role("link")).to_have_attribute("href", "#id_comment")
    look(head, screenshots, "measure-head-error")
    head.get_by_label("担当への修正依頼（課内差戻し・必須）").fill("「検討の体制」を具体的に書いてください。")
    head.get_by_role("button", name="担当に差し戻す").click()
    expect(messages(head)).to_contain_text("担当に差し戻しました（課内差戻し）")
    expect(head.get_by_role("heading", name="現在の報告（課内差戻し・修正中）")).to_be_visible()
    look(head, screenshots, "measure-head-returned")

    # --- 担当 sees the comment, revises and saves: back to 作成中
    staff.goto(url)
    expect(staff.locator(".notice.warning").first).to_contain_text("「検討の体制」を具体的に書いてください。")
    staff.get_by_label("措置（対応）の内容").fill("課長補佐を責任者とする検討会を設けた。")
    staff.get_by_role("button", name="下書きを保存").click()
    expect(messages(staff)).to_contain_text("下書きを保存しました。")

    # --- the 課長, who never saved it, approves
    head.goto(url)
    head.get_by_role("button", name="課長として承認し、監査事務局へ提出する").click()
    expect(messages(head)).to_contain_text("承認し、監査事務局へ提出しました。")

    # --- the history speaks the city's words: labels, states, 和暦, KB
    auditor = people.as_user("b-auditor", start=None)
    auditor.goto(f"/findings/{finding}/")
    history = auditor.get_by_role("heading", name="変更履歴").locator("xpath=following-sibling::table[1]")
    expect(history).to_contain_text("課内差戻し")
    expect(history).to_contain_text("段階：作成中 → 課内差戻し・修正中")
    expect(history).to_contain_text("報告日：（なし） → 令和7年4月1日")
    expect(history).to_contain_text(re.compile(r"確認表\.pdf（\d+ バイト・SHA-256"))
    expect(history).not_to_contain_text("reported_on")
    expect(history).not_to_contain_text("draft")
    expect(history.locator("tbody tr").first.locator("td").first).to_have_text(
        re.compile(r"^令和\d+年\d+月\d+日 \d\d:\d\d$")
    )
    look(auditor, screenshots, "finding-detail-history")


def test_a_bad_file_keeps_the_text_and_an_expired_session_gives_it_back(people, live_app, screenshots, tmp_path):
    finding = live_app.findings["意見11"]
    assign(people.as_user("b-auditor"), finding, SECTION)
    staff = people.as_user("b-staff")
    staff.goto(f"/findings/{finding}/")
    staff.locator("table.list").first.locator("tbody tr", has_text=SECTION).get_by_role("link", name="詳細").click()
    url = measure_url(staff)
    typed = "長い時間をかけて書いた措置の内容。" * 3

    # a file that cannot be registered: neither the text nor the file is saved; the text stays
    bad = tmp_path / "macro.exe"
    bad.write_bytes(b"MZ\x90\x00")
    staff.get_by_label("措置状況").select_option(label="措置中")
    staff.get_by_label("措置（対応）の内容").fill(typed)
    staff.get_by_label(re.compile("^根拠資料")).set_input_files(str(bad))
    staff.get_by_role("button", name="下書きを保存").click()
    summary = staff.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("根拠資料を登録できなかったため、下書きも保存していません")
    expect(staff.get_by_label("措置（対応）の内容")).to_have_value(typed)
    look(staff, screenshots, "measure-error-summary")

    # over the limit: a counter says so, the save refuses it, nothing is cut
    long_text = "あ" * 10_001
    staff.get_by_label("措置（対応）の内容").fill(long_text)
    expect(staff.locator("#id_text_counter")).to_contain_text("1 文字多すぎます")
    staff.get_by_role("button", name="下書きを保存").click()
    expect(staff.locator(".error-summary")).to_contain_text("措置（対応）の内容")
    assert len(staff.get_by_label("措置（対応）の内容").input_value()) == 10_001

    # the session ends (here: its cookie is gone); the save lands on the login page, not a 405,
    # and after logging in the text is back in the form
    staff.get_by_label("措置（対応）の内容").fill(typed)
    staff.context.clear_cookies(name="sessionid")
    staff.get_by_role("button", name="下書きを保存").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("ログイン")
    assert "next=%2Ffindings%2Fmeasures%2F" in staff.url and "save" not in staff.url
    expect(staff.locator("#id_username")).to_be_focused()  # login autofocus
    staff.fill("#id_username", "b-staff")
    staff.fill("#id_password", PASSWORD)
    staff.get_by_role("button", name="ログイン").click()
    expect(staff).to_have_url(re.compile(re.escape(url) + "$"))
    expect(staff.get_by_label("措置（対応）の内容")).to_have_value(typed)
    expect(messages(staff).locator("li.warning")).to_contain_text(
        "ログインの前に入力していた内容をフォームに戻しました"
    )
    look(staff, screenshots, "measure-restored")
    people.sessions.pop("b-staff", None)  # the saved cookies of this person were cleared


def test_the_idle_warning_shows_and_extends(people, live_app, screenshots):
    page = people.as_user("b-staff", start=None)
    page.clock.install()
    page.goto("/findings/mine/")
    idle = int(page.locator("body").get_attribute("data-idle-seconds"))
    dialog = page.locator("dialog#idle-warning")
    expect(dialog).to_be_hidden()
    page.clock.run_for((idle - 110) * 1000)
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("まもなく自動的にログアウトします")
    look(page, screenshots, "idle-warning", a11y=True)
    with page.expect_response(lambda r: r.url.endswith("/accounts/session/extend/")) as extended:
        dialog.get_by_role("button", name="延長する（続けて使う）").click()
    assert extended.value.status == 200
    expect(dialog).to_be_hidden()


def test_assign_picker_groups_searches_selects_a_bureau_and_dates_per_section(people, live_app, screenshots):
    finding = live_app.findings["意見12"]
    auditor = people.as_user("b-auditor", start=None)
    auditor.goto(f"/findings/{finding}/assign/")
    expect(auditor.locator("details.finding-text summary")).to_contain_text("意見12")
    picker = auditor.locator("[data-picker]")
    all_rows = picker.locator("[data-section-row]").count()
    auditor.get_by_label("課・局の名前で絞り込む").fill("広報広聴")
    visible = picker.locator("[data-section-row]:visible")
    expect(visible.first).to_contain_text("広報広聴課")
    assert 1 <= visible.count() < all_rows
    assert all("広報広聴" in t for t in visible.all_inner_texts())
    look(auditor, screenshots, "assign-search")
    auditor.get_by_label("課・局の名前で絞り込む").fill("")
    bureau = picker.locator("fieldset[data-bureau='都市政策局']")
    bureau.get_by_label("都市政策局（すべて）").check()
    n = bureau.locator("input[data-section]").count()
    expect(bureau.locator("input[data-section]:checked")).to_have_count(n)
    expect(picker.locator("[data-picker-count]")).to_have_text(re.compile(rf"^{n} 課を選択中"))
    # back to two sections, one of them with its own reply-by date in 和暦 shorthand
    bureau.get_by_label("都市政策局（すべて）").uncheck()
    bureau.get_by_label("広報広聴課", exact=True).check()
    bureau.get_by_label("交通政策課", exact=True).check()
    auditor.get_by_label("回答期限（共通）").fill("令和8年3月31日")
    auditor.get_by_label("交通政策課の回答期限（空欄は共通の期限）").fill("R8.1.30")
    auditor.get_by_role("button", name="割り当てる").click()
    expect(messages(auditor)).to_contain_text("意見12 の所管課を割り当てました。")
    rows = auditor.locator("table.list").first.locator("tbody tr")
    expect(rows.filter(has_text="広報広聴課")).to_contain_text("令和8年3月31日")
    expect(rows.filter(has_text="交通政策課")).to_contain_text("令和8年1月30日")
    # an impossible era is refused with the reason
    auditor.goto(f"/findings/{finding}/assign/")
    auditor.get_by_label("回答期限（共通）").fill("平成35年1月1日")
    auditor.get_by_role("button", name="割り当てる").click()
    expect(auditor.locator(".error-summary")).to_contain_text("平成35年1月1日はありません")
    look(auditor, screenshots, "assign-error")


def test_start_pages_password_change_error_pages_and_provenance(people, live_app, screenshots, browser):
    # each role lands on its own start page after login
    staff = people.anonymous()
    login(staff, "b-staff")
    expect(staff.get_by_role("heading", level=1)).to_contain_text("自課の措置")
    look(staff, screenshots, "worklist")
    auditor = people.anonymous()
    login(auditor, "b-auditor")
    expect(auditor).to_have_url(re.compile(r"/findings/dashboard/$"))
    look(auditor, screenshots, "dashboard")

    # the favicon is the app's own
    assert staff.request.get(live_app.base_url + "/favicon.ico").status == 200
    expect(staff.locator("link[rel=icon]")).to_have_attribute("href", re.compile(r"favicon\.png$"))

    # Japanese 403 in the site layout (the 404 and 500 pages are checked without a browser: this server
    # runs with DEBUG, which shows Django's own 404 page instead)
    response = staff.goto("/findings/dashboard/")
    assert response.status == 403
    expect(staff.get_by_role("heading", level=1)).to_have_text("権限がありません（403）")
    look(staff, screenshots, "403")

    # the password page, reached from the header (the change itself is tested without a browser)
    staff.get_by_role("link", name="パスワード変更").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("パスワードの変更")
    staff.get_by_role("button", name="パスワードを変更する").click()
    expect(staff.locator(".error-summary")).to_be_visible()
    look(staff, screenshots, "password-change-error")

    # 出典と修復: the audit office sees it collapsed; a section user does not see it at all
    finding = live_app.findings["指摘01"]
    auditor.goto(f"/findings/{finding}/")
    provenance = auditor.locator("details.provenance")
    if provenance.count():
        expect(provenance.first).not_to_have_attribute("open", "")
        staff.goto(f"/findings/{finding}/")
        expect(staff.locator("details.provenance")).to_have_count(0)
    staff.goto("/findings/")
    look(staff, screenshots, "finding-list-staff")

    # a 課長 names deputy approvers for the section
    head = people.as_user("b-head1", start=None)
    head.goto("/accounts/deputies/")
    expect(head.get_by_role("heading", level=1)).to_contain_text("承認の代理の指名")
    expect(head.get_by_label("広報 担当")).to_have_value("")
    look(head, screenshots, "deputies")

    # the login page at both sizes
    anonymous = people.anonymous()
    anonymous.goto("/login/")
    expect(anonymous.locator("#id_username")).to_be_focused()
    look(anonymous, screenshots, "login")
