"""What a section user sees of a finding's status (issue 13, point 8): the current status only of the
findings assigned to their own section; for the others, the status as last published, never progress
the audit office has accepted (or a section has submitted) since. Implemented by
findings.selectors.scope_statuses, used by the finding list, its CSV and the finding page."""

import csv
import io
import json

import pytest

from .conftest import PASSWORD
from .helpers import expect

pytestmark = pytest.mark.browser

# 市民局 市民課 (section B, b-other's) has 意見27: 措置予定・検討中 accepted and published, then 措置済
# accepted after the publication (unpublished progress). 都市政策局 広報広聴課 (section A, b-staff's) has
# 意見28, 措置中 accepted after the publication: its current status, not yet published. (Findings no other
# journey uses: the live server's data is shared by the whole browser session.)
SEED = """
import datetime, json
from django.utils import timezone
from auditreg.models import Section, User
from findings import publishing, services
from findings.models import AuditReport, Finding, MeasureStatus, Publication

today = timezone.localdate()
auditor = User.objects.get(username="b-auditor")
other_staff = User.objects.get(username="b-other")
other_head = User(username="b13-head", role="section_head", section=other_staff.section, last_name="市民",
                  first_name="課長")
other_head.set_password({password!r})
other_head.save()
report = AuditReport.objects.get(code="kanazawa-2024-dx")
section_a = Section.objects.get(bureau__name="都市政策局", name="広報広聴課")

def accepted(measure, drafter, head, code, text):
    status = MeasureStatus.objects.get(code=code)
    draft = services.report_save_draft(measure=measure, by=drafter, version=None, values={{
        "status": status, "reported_on": today, "text": text, "reason": "", "planned_completion_on": None,
        "completed_on": today if status.is_done else None}})
    return services.report_accept(report=services.report_submit(report=draft, by=head), by=auditor)

(theirs,) = services.finding_assign(finding=Finding.objects.get(report=report, code="意見27"),
                                    sections=[other_staff.section], reply_by=None, by=auditor)
accepted(theirs, other_staff, other_head, "planned", "市民課で検討を始めた。")
number = (max(Publication.objects.values_list("number", flat=True), default=0) or 0) + 1
publishing.publish(reports=[report], as_of=today, per="finding", number=number, published_on=today, by=auditor,
                   allow_same_content=True)
accepted(theirs, other_staff, other_head, "done", "市民課の措置は完了した（未公表）。")
(mine,) = services.finding_assign(finding=Finding.objects.get(report=report, code="意見28"), sections=[section_a],
                                  reply_by=None, by=auditor)
accepted(mine, User.objects.get(username="b-staff"), User.objects.get(username="b-head1"), "in_progress",
         "広報広聴課で進めている。")
print("SEEDED " + json.dumps({{"number": number, "report": report.pk}}))
"""


@pytest.fixture(scope="module")
def published(live_app):
    out = live_app.manage("shell", "-c", SEED.format(password=PASSWORD), timeout=180)
    line = next((s for s in out.splitlines() if s.startswith("SEEDED ")), None)
    assert line, out[-3000:]
    return json.loads(line[7:])


def list_row(page, code: str):
    row = page.locator("table.list tbody tr").filter(has=page.get_by_role("link", name=code, exact=True))
    expect(row).to_have_count(1)
    return row


def test_section_sees_published_status_of_other_sections_and_current_status_of_its_own(people, live_app, published):
    number, listing = published["number"], f"/findings/?report={published['report']}"
    # the audit office sees B's current status: 措置済, accepted after the publication
    auditor = people.as_user("b-auditor")
    auditor.goto(listing)
    expect(list_row(auditor, "意見27")).to_contain_text("措置済")

    staff = people.as_user("b-staff")  # section A
    staff.goto(listing)
    theirs = list_row(staff, "意見27")
    expect(theirs).to_contain_text("措置予定・検討中")
    expect(theirs).to_contain_text(f"第{number}号公表時")
    expect(theirs).not_to_contain_text("措置済")
    mine = list_row(staff, "意見28")
    expect(mine).to_contain_text("措置中")
    expect(mine).not_to_contain_text("公表時")

    # B's finding opened: the published status, and nothing of B's reports or their text
    staff.get_by_role("link", name="意見27", exact=True).click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text("意見27")
    status = staff.locator("#published-status")
    expect(status).to_contain_text(f"措置予定・検討中（第{number}号公表時）")
    main = staff.locator("main")
    expect(main).not_to_contain_text("措置済")
    expect(main).not_to_contain_text("市民課の措置は完了した")
    expect(main).not_to_contain_text("市民課で検討を始めた")
    expect(staff.get_by_role("link", name="詳細")).to_have_count(0)

    # A's own finding: the measure with its current (accepted, unpublished) status
    staff.goto(f"/findings/{live_app.findings['意見28']}/")
    row = staff.locator("table.list tbody tr", has_text="都市政策局 広報広聴課")
    expect(row.locator("td").nth(2)).to_have_text("措置中")
    expect(staff.locator("#published-status")).to_have_count(0)

    # the list's CSV says the same as the page
    response = staff.request.get(listing.replace("/findings/", "/findings/export.csv"))
    assert response.ok
    rows = {r["番号"]: r for r in csv.DictReader(io.StringIO(response.text().lstrip("\ufeff")))}
    assert rows["意見27"]["措置状況"] == "措置予定・検討中", rows["意見27"]
    assert rows["意見28"]["措置状況"] == "措置中", rows["意見28"]
