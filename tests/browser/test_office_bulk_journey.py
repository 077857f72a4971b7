"""The audit office's bulk work and a reorganisation hand-over, clicked through in a browser: a bulk
assignment with a reply-by date per section where one finding is refused with its reason, then a
reorganisation previewed (a split, one measure sent to the second successor) and run. Uses sections of
its own (試験旧課 → 試験一課・試験二課) so that the other journeys' sections are untouched."""

import pytest

from .conftest import PASSWORD, SCREENSHOTS
from .helpers import expect, messages, nav

pytestmark = pytest.mark.browser

SHOTS = SCREENSHOTS / "office"  # beside the other journeys' screenshots

SEED = """
import datetime
from django.utils import timezone
from auditreg.models import Section, User
from findings.models import AuditReport, Finding, MeasureStatus
from findings import services
bureau = Section.objects.get(bureau__name="市民局", name="市民課").bureau
old = Section.objects.create(bureau=bureau, name="試験旧課", order=9901)
Section.objects.create(bureau=bureau, name="試験一課", order=9902)
Section.objects.create(bureau=bureau, name="試験二課", order=9903)
auditor = User.objects.get(username="b-auditor")
staff = User(username="b14-staff", role="section_staff", section=old, last_name="試験", first_name="担当")
staff.set_password({password!r})
staff.save()
report = AuditReport.objects.get(code="kanazawa-2024-dx")
def finding(code):
    return Finding.objects.get(report=report, code=code)
(m,) = services.finding_assign(finding=finding("意見23"), sections=[old], reply_by=None, by=auditor)
services.report_save_draft(measure=m, by=staff, version=None, values={{
    "status": MeasureStatus.objects.get(code="planned"), "reported_on": timezone.localdate(), "text": "検討中"}})
services.finding_assign(finding=finding("意見26"), sections=[old], reply_by=None, by=auditor)
print("SEEDED")
"""


@pytest.fixture(scope="module")
def own_sections(live_app):
    out = live_app.manage("shell", "-c", SEED.format(password=PASSWORD), timeout=120)
    assert "SEEDED" in out, out[-3000:]


def shoot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def wareki(day):
    return f"令和{day.year - 2018}年{day.month}月{day.day}日"


def test_bulk_assign_with_dates_per_section_and_a_refusal(people, own_sections):
    page = people.as_user("b-auditor")
    nav(page, "一括処理")
    expect(page.get_by_role("heading", level=1)).to_have_text("一括処理")
    page.get_by_label("報告書").select_option(value="kanazawa-2024-dx")
    page.get_by_role("button", name="絞り込む").click()
    table = page.locator("#bulk-items")
    for code in ("意見21", "意見22", "意見23"):
        table.get_by_label(code, exact=True).check()
    page.get_by_label("回答期限（共通）").fill("令和7年12月26日")
    page.get_by_label("割当を選んだ課だけに置き換える").check()
    picker = page.locator("fieldset[data-bureau='市民局']")
    picker.get_by_label("試験一課", exact=True).check()
    picker.get_by_label("試験一課の回答期限（空欄は共通の期限）").fill("R8.1.30")
    picker.get_by_label("試験二課", exact=True).check()
    shoot(page, "bulk-select")
    page.get_by_role("button", name="確認へ進む").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("確認：所管課の一括割当")
    expect(page.locator("dl.meta")).to_contain_text("市民局 試験一課：令和8年1月30日")
    expect(page.locator("dl.meta")).to_contain_text("市民局 試験二課：令和7年12月26日")
    expect(page.locator("#bulk-targets li")).to_have_count(3)
    shoot(page, "bulk-confirm")
    page.get_by_role("button", name="実行する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("結果：所管課の一括割当")
    expect(page.locator("p.summary")).to_have_text("実行 2 件・実行できなかったもの 1 件")
    refused = page.locator("#bulk-refused tbody tr")
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text("意見23")
    expect(refused).to_contain_text("市民局 試験旧課 には報告または根拠資料があるため、割当を外せません。")
    expect(page.locator("#bulk-done tbody tr")).to_have_count(2)
    shoot(page, "bulk-result")
    # the finding's page shows both sections with their own dates
    nav(page, "一括処理")
    page.get_by_label("報告書").select_option(value="kanazawa-2024-dx")
    page.get_by_role("button", name="絞り込む").click()
    expect(page.locator("#bulk-items tbody tr", has_text="意見21")).to_contain_text("試験一課、試験二課")


def test_reorganisation_preview_then_run(people, own_sections, today_tokyo):
    page = people.as_user("b-auditor")
    nav(page, "機構改革")
    expect(page.get_by_role("heading", level=1)).to_have_text("機構改革の引継ぎ")
    page.get_by_label("廃止・分割される課").select_option(label="市民局 試験旧課")
    page.get_by_role("checkbox", name="試験一課", exact=True).check()
    page.get_by_role("checkbox", name="試験二課", exact=True).check()
    page.get_by_label("実施日").fill(wareki(today_tokyo))
    page.get_by_label("備考").fill("機構改革により試験旧課を分割")
    shoot(page, "reorganisation-form")
    page.get_by_role("button", name="移す内容を確認する（プレビュー）").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("引継ぎのプレビュー")
    expect(page.locator("#plan-summary")).to_contain_text("移す措置 2 件（報告 1 件・根拠資料 0 件")
    expect(page.locator("#plan-moves tbody tr")).to_have_count(2)
    page.get_by_label("意見26 の承継先").select_option(label="市民局 試験二課")
    shoot(page, "reorganisation-preview")
    page.get_by_role("button", name="引継ぎを実施する").click()
    expect(messages(page)).to_contain_text("引継ぎを実施しました。")
    moves = page.locator("#moves tbody tr")
    expect(moves).to_have_count(2)
    expect(moves.filter(has_text="意見23")).to_contain_text("市民局 試験一課")
    expect(moves.filter(has_text="意見26")).to_contain_text("市民局 試験二課")
    shoot(page, "reorganisation-done")
    # the measure moved with its draft; the list of changes records it
    moves.filter(has_text="意見23").get_by_role("link", name="意見23").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("措置：意見23（市民局 試験一課）")
    nav(page, "機構改革")
    expect(page.locator("#changes tbody tr").first).to_contain_text("実施済")
