"""指摘01 of the report itself: the person who wrote or edited a report may not approve it. A head who
edited the draft gets no approve button (and a forged submit is refused); the other head gets it."""

import re

import pytest

from .helpers import SECTION, assign, csrf_token, expect, messages, open_measure, save_draft

pytestmark = pytest.mark.browser

APPROVE = "課長として承認し、監査事務局へ提出する"


def test_head_who_edited_the_draft_cannot_approve_it(people, live_app):
    finding = live_app.findings["指摘02"]
    assign(people.as_user("b-auditor"), finding, SECTION)

    staff = people.as_user("b-staff")
    measure = open_measure(staff, finding)
    save_draft(staff, status="措置中", text="担当の下書き")

    # head2 edits the draft: afterwards no approve button, and the page says why
    head2 = people.as_user("b-head2")
    head2.goto(f"/findings/measures/{measure}/")
    expect(head2.get_by_role("button", name=APPROVE)).to_be_visible()  # before editing, head2 could approve
    expect(head2.get_by_label("措置（対応）の内容")).to_have_value("担当の下書き")
    save_draft(head2, status="措置中", text="担当の下書き（課長二が加筆）")
    expect(head2.locator("main")).to_contain_text("最終編集 広報 課長二")
    expect(head2.get_by_role("button", name=APPROVE)).to_have_count(0)
    # … and the way out (課内差戻し, or another approver)
    reason = head2.get_by_role("note").filter(has_text="作成・編集した人は、同じ報告を承認できません")
    expect(reason).to_contain_text("課内差戻し")

    # head1, who neither wrote nor edited it, gets the button
    head1 = people.as_user("b-head1")
    head1.goto(f"/findings/measures/{measure}/")
    button = head1.get_by_role("button", name=APPROVE)
    expect(button).to_be_visible()
    action = button.locator("xpath=ancestor::form[1]").get_attribute("action")
    assert re.fullmatch(rf"/findings/measures/{measure}/reports/\d+/submit/", action)

    # the server refuses head2 even without the button (a hand-made POST of the same form)
    forged = head2.request.post(action, form={"csrfmiddlewaretoken": csrf_token(head2)})
    assert forged.status == 400
    assert "作成・編集した人は、同じ報告を承認できません" in forged.text()
    head2.reload()
    expect(head2.get_by_role("heading", name="現在の報告（作成中）")).to_be_visible()

    # re-saving keeps head2 out even after staff edits again (an edit once is enough)
    staff.reload()
    save_draft(staff, status="措置中", text="担当がさらに修正")
    head2.reload()
    expect(head2.get_by_role("button", name=APPROVE)).to_have_count(0)

    # head1 approves; the report goes to the audit office
    head1.reload()
    head1.get_by_role("button", name=APPROVE).click()
    expect(messages(head1)).to_contain_text("承認し、監査事務局へ提出しました。")
    expect(head1.locator("main")).to_contain_text("承認・提出")
    expect(head1.locator("dl.meta").last).to_contain_text("広報 課長一")
