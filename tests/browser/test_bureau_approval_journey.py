"""Issue 13, point 1, the last dead end: a section whose only user is its 課長. He drafts the report,
is told before saving that he cannot approve it and who can (the 局の代決者), and the 局の代決者, whose
start page lists the 局's drafts awaiting approval, approves it (代決); the audit office receives it."""

import json
import re

import pytest

from .conftest import PASSWORD
from .helpers import expect, messages, save_draft
from .test_daily_work_journey import look

pytestmark = pytest.mark.browser

# a 市民局 section with one 課長 and nobody else, a 局の代決者 of 市民局, one opinion assigned to the section
SEED = """
import datetime, json
from django.utils import timezone
from auditreg.models import Bureau, Section, User
from findings.models import Finding
from findings.services import finding_assign

section = Section.objects.filter(bureau__name="市民局", users__isnull=True).order_by("order").first()
head = User(username="b-lone-head", role="section_head", section=section, last_name="一人", first_name="課長")
head.set_password({password!r})
head.save()
chief = User(username="b-bureau", role="bureau_approver", bureau=section.bureau, last_name="市民", first_name="局長")
chief.set_password({password!r})
chief.save()
finding = Finding.objects.get(report__code="kanazawa-2024-dx", code="意見29")
reply_by = timezone.localdate() + datetime.timedelta(days=60)
auditor = User.objects.get(username="b-auditor")
(measure,) = finding_assign(finding=finding, sections=[section], reply_by=reply_by, by=auditor)
print("SEED-JSON " + json.dumps({{"measure": measure.pk, "section": section.name}}))
"""
APPROVE = "局の代決者として承認し、監査事務局へ提出する"


def sign_in(people, username: str, name: str):
    """A fresh login of an account this journey seeded (the shared login helper knows the seeded ones)."""
    page = people.anonymous()
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    expect(page.locator("header.site .account")).to_contain_text(name)
    return page


def test_the_bureau_approver_approves_what_the_lone_head_drafted(people, live_app, screenshots):
    out = live_app.manage("shell", "-c", SEED.format(password=PASSWORD), timeout=120)
    seeded = json.loads(next(line for line in out.splitlines() if line.startswith("SEED-JSON "))[10:])
    url = f"/findings/measures/{seeded['measure']}/"

    # --- the lone 課長 is told, before saving, that he cannot approve what he writes, and who can
    head = sign_in(people, "b-lone-head", "一人 課長")
    head.goto(url)
    expect(head.locator("dl.meta").first).to_contain_text("市民 局長（市民局）")
    warning = head.locator("#save-bars-approval")
    expect(warning).to_contain_text("あなた自身は承認できません")
    expect(warning).to_contain_text("保存した後に承認できる人：市民 局長（局の代決者）")
    look(head, screenshots, "measure-lone-head")
    save_draft(head, status="措置中", text="一人課長が書いた措置の内容")
    expect(messages(head)).to_contain_text("下書きを保存しました。")
    expect(head.get_by_role("button", name=re.compile("として承認し"))).to_have_count(0)
    expect(head.get_by_role("note").filter(has_text="局の代決者が承認します")).to_be_visible()

    # --- the 局の代決者 lands on the 局's drafts awaiting approval and approves it
    chief = sign_in(people, "b-bureau", "市民 局長（局の代決者（局長・部長）・市民局）")
    expect(chief.get_by_role("heading", level=1)).to_have_text("局の承認待ち（市民局）")
    row = chief.locator("table.list tbody tr", has_text="意見29")
    expect(row).to_contain_text(seeded["section"])
    expect(row).to_contain_text("一人 課長")
    look(chief, screenshots, "bureau-worklist")
    row.get_by_role("link", name="内容を確認して承認する").click()
    expect(chief.get_by_role("definition").filter(has_text="一人課長が書いた措置の内容")).to_be_visible()
    expect(chief.get_by_label("措置（対応）の内容")).to_have_count(0)  # reads, never edits
    look(chief, screenshots, "measure-bureau-approver")
    chief.get_by_role("button", name=APPROVE).click()
    expect(messages(chief)).to_contain_text("承認し、監査事務局へ提出しました。")
    chief.goto("/")
    expect(chief.get_by_text("承認を待っている下書きはありません。")).to_be_visible()

    # --- the audit office receives it: awaiting review, approved by the 局の代決者, and accepts it
    auditor = people.as_user("b-auditor", start="/findings/dashboard/")
    expect(auditor.locator("main")).to_contain_text("市民 局長")
    auditor.goto(url)
    expect(auditor.locator("dl.meta", has_text="承認・提出")).to_contain_text("市民 局長")
    auditor.get_by_role("button", name="受理する").click()
    expect(messages(auditor)).to_contain_text("受理しました。")
