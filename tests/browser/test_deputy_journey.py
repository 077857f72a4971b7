"""Issue 13, point 1: a section always has a way to get a report out without the drafter approving it.
A 課長 names a 担当 as deputy approver (課長補佐) on /accounts/deputies/, writes and edits the draft
himself (which bars him from approving it), and the deputy approves it. The audit office returns it;
the section's work list files it under 差し戻されたもの with the comment to act on."""

import re

import pytest

from .helpers import SECTION, assign, expect, messages, open_measure, save_draft
from .test_daily_work_journey import look

pytestmark = pytest.mark.browser

DEPUTY_APPROVE = "課長補佐として承認し、監査事務局へ提出する"
HEAD_APPROVE = "課長として承認し、監査事務局へ提出する"
RETURN_COMMENT = "予算の根拠（令和7年度当初予算書の頁）を書き添えてください。"


def test_a_deputy_approves_the_draft_the_head_wrote_and_edited(people, live_app, screenshots):
    finding = live_app.findings["意見25"]
    auditor = people.as_user("b-auditor")
    assign(auditor, finding, SECTION)

    # --- 課長 writes the draft himself, then edits it: he may no longer approve it
    head = people.as_user("b-head1")
    measure = open_measure(head, finding)
    url = f"/findings/measures/{measure}/"
    save_draft(head, status="措置中", text="課長が書いた下書き")
    save_draft(head, status="措置中", text="課長が書いた下書き（課長が加筆）")
    expect(head.get_by_role("button", name=HEAD_APPROVE)).to_have_count(0)
    expect(head.get_by_role("note").filter(has_text="作成・編集した人は、同じ報告を承認できません")).to_be_visible()

    # --- from the measure page he names a deputy (課長補佐) among the section's 担当
    head.get_by_role("link", name="課長補佐・代理を指名する").click()
    expect(head.get_by_role("heading", level=1)).to_contain_text("承認の代理の指名（広報広聴課）")
    head.get_by_label("広報 担当", exact=True).select_option(label="課長補佐")
    look(head, screenshots, "deputies-head")
    head.get_by_role("button", name="保存する").click()
    expect(messages(head)).to_contain_text("承認の代理を保存しました。")
    expect(head.get_by_label("広報 担当", exact=True)).to_have_value("課長補佐")

    try:
        head.goto(url)
        expect(head.locator("dl.meta").first).to_contain_text("広報 担当（課長補佐）")

        # --- the deputy, who did not write or edit it, approves it as 課長補佐
        deputy = people.as_user("b-staff", start=None)
        deputy.goto(url)
        expect(deputy.get_by_label("措置（対応）の内容")).to_have_value("課長が書いた下書き（課長が加筆）")
        look(deputy, screenshots, "measure-deputy")
        deputy.get_by_role("button", name=DEPUTY_APPROVE).click()
        expect(messages(deputy)).to_contain_text("承認し、監査事務局へ提出しました。")
        expect(deputy.locator("main")).to_contain_text("広報 担当")

        # --- the audit office returns it; the work list shows it with the comment to act on
        auditor.goto(url)
        auditor.get_by_label(re.compile("^コメント")).fill(RETURN_COMMENT)
        auditor.get_by_role("button", name="差し戻す").click()
        expect(messages(auditor)).to_contain_text("差し戻しました。")
        deputy.goto("/findings/mine/")
        group = deputy.get_by_role("heading", name=re.compile("^差し戻されたもの")).locator(
            "xpath=following-sibling::table[1]"
        )
        row = group.locator("tbody tr", has_text="意見25")
        expect(row).to_contain_text("監査事務局の差戻し理由")
        expect(row).to_contain_text(RETURN_COMMENT)
        look(deputy, screenshots, "worklist-returned")
    finally:
        # the deputy is un-named again: the other journeys see the section as seeded
        head.goto("/accounts/deputies/")
        head.get_by_label("広報 担当", exact=True).select_option(value="")
        head.get_by_role("button", name="保存する").click()
        expect(messages(head)).to_contain_text("承認の代理を保存しました。")
