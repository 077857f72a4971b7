"""A section sees only its own measures: another section's staff who types the address of a
measure or of its evidence gets a 404, not the page or the file."""

import re
from pathlib import Path

import pytest

from .helpers import SECTION, assign, csrf_token, expect, messages, nav, open_measure, save_draft, upload

pytestmark = pytest.mark.browser

DRAFT = "指摘03 の下書き（他課には見えないはず）"


def test_other_section_gets_404_for_measure_and_evidence(people, live_app, small_pdf):
    finding = live_app.findings["指摘03"]
    auditor = people.as_user("b-auditor")
    assign(auditor, finding, SECTION)

    # 広報広聴課 drafts and attaches evidence; the staff member can download it again
    staff = people.as_user("b-staff")
    measure = open_measure(staff, finding)
    save_draft(staff, status="措置予定・検討中", text=DRAFT)
    upload(staff, small_pdf)
    link = staff.get_by_role("link", name=small_pdf.name)
    evidence_url = link.get_attribute("href")
    assert re.fullmatch(r"/findings/evidence/\d+/", evidence_url)
    with staff.expect_download() as download_info:
        link.click()
    assert download_info.value.suggested_filename == small_pdf.name
    assert Path(download_info.value.path()).read_bytes() == small_pdf.read_bytes()

    # 市民課 staff: not in their work list, not on the finding page, 404 when typed
    other = people.as_user("b-other")
    nav(other, "自課の措置")
    expect(other.get_by_role("heading", level=1)).to_contain_text("市民局 市民課")
    expect(other.get_by_role("link", name="指摘03", exact=True)).to_have_count(0)
    other.goto(f"/findings/{finding}/")
    expect(other.get_by_text("自課への割当はありません。")).to_be_visible()
    expect(other.locator("main")).not_to_contain_text(DRAFT)
    expect(other.locator("main")).not_to_contain_text(small_pdf.name)

    response = other.goto(f"/findings/measures/{measure}/")
    assert response.status == 404
    expect(other.locator("body")).not_to_contain_text(DRAFT)
    response = other.goto(evidence_url)
    assert response.status == 404
    assert response.headers.get("content-disposition") is None

    # and a forged save from the other section is refused the same way, changing nothing
    other.goto("/findings/")
    token = csrf_token(other)
    forged = other.request.post(
        f"/findings/measures/{measure}/save/",
        form={"csrfmiddlewaretoken": token, "status": "1", "reported_on": "2025-06-01", "text": "他課の上書き"},
    )
    assert forged.status == 404
    staff.goto(f"/findings/measures/{measure}/")
    expect(staff.locator("main")).to_contain_text(DRAFT)
    expect(staff.locator("main")).not_to_contain_text("他課の上書き")


def test_upload_form_is_not_offered_while_the_report_awaits_review(people, live_app, small_pdf):
    finding = live_app.findings["意見02"]
    assign(people.as_user("b-auditor"), finding, SECTION)
    staff = people.as_user("b-staff")
    measure = open_measure(staff, finding)
    save_draft(staff, status="措置中", text="意見02 の下書き")
    head = people.as_user("b-head1")
    head.goto(f"/findings/measures/{measure}/")
    head.get_by_role("button", name="課長として承認し、監査事務局へ提出する").click()
    expect(messages(head)).to_contain_text("承認し、監査事務局へ提出しました。")

    staff.reload()
    expect(staff.get_by_role("heading", name="現在の報告（課長承認済・審査待ち）")).to_be_visible()
    # what happens today when the offered form is used: a 400 page that refuses the file
    if staff.get_by_role("button", name="登録する").count():
        with staff.expect_file_chooser() as chooser:
            staff.get_by_label(re.compile("^根拠資料")).click()
        chooser.value.set_files(str(small_pdf))
        with staff.expect_response(lambda r: r.url.endswith("/evidence/")) as response:
            staff.get_by_role("button", name="登録する").click()
        assert response.value.status == 400
        expect(staff.get_by_role("alert").filter(has_text="審査中の報告には資料を追加できません")).to_be_visible()
    # the page should not offer an upload that can only be refused
    staff.goto(f"/findings/measures/{measure}/")
    assert staff.get_by_role("button", name="登録する").count() == 0
