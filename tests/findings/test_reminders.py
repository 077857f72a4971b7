import datetime

import pytest
from django.core import mail
from django.core.management import call_command

from auditreg.choices import Role
from auditreg.models import Section
from findings import services
from findings.models import Finding, MeasureStatus

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2025, 10, 1)


@pytest.fixture
def setup(make_user, report):
    section = Section.objects.get(bureau__name="都市政策局", name="広報広聴課")
    other = Section.objects.get(bureau__name="市民局", name="市民課")
    auditor = make_user("aud", Role.AUDITOR, email="audit@example.jp")
    staff = make_user("staff", Role.SECTION_STAFF, section, email="staff@example.jp")
    head = make_user("head", Role.SECTION_HEAD, section, email="head@example.jp")
    make_user("other", Role.SECTION_STAFF, other, email="other@example.jp")
    f1 = Finding.objects.get(report=report, code="指摘01")
    f2 = Finding.objects.get(report=report, code="意見16")
    f3 = Finding.objects.get(report=report, code="意見17")
    services.finding_assign(finding=f1, sections=[section], reply_by=datetime.date(2025, 9, 1), by=auditor)  # overdue
    services.finding_assign(finding=f2, sections=[section], reply_by=datetime.date(2025, 10, 10), by=auditor)  # soon
    services.finding_assign(finding=f3, sections=[section], reply_by=datetime.date(2026, 3, 31), by=auditor)  # later
    # 指摘02 of 市民課 is submitted, so it awaits review and is not nagged to the section
    f4 = Finding.objects.get(report=report, code="指摘02")
    (m4,) = services.finding_assign(finding=f4, sections=[other], reply_by=datetime.date(2025, 9, 1), by=auditor)
    other_staff = make_user("other2", Role.SECTION_STAFF, other)
    other_head = make_user("otherhead", Role.SECTION_HEAD, other)
    r = services.report_save_draft(
        measure=m4,
        by=other_staff,
        version=None,
        values={"status": MeasureStatus.objects.get(code="in_progress"), "reported_on": TODAY, "text": "対応中"},
    )
    services.report_submit(report=r, by=other_head)
    return staff, head


def test_one_digest_per_section_and_one_for_the_office(setup):
    call_command("send_reminders", "--today", TODAY.isoformat(), "--days", "14")
    by_to = {tuple(sorted(m.to)): m for m in mail.outbox}
    section_mail = by_to[("head@example.jp", "staff@example.jp")]
    assert "指摘01" in section_mail.body and "期限超過" in section_mail.body
    assert "意見16" in section_mail.body and "期限間近" in section_mail.body
    assert "意見17" not in section_mail.body  # due in March, outside 14 days
    office_mail = by_to[("audit@example.jp",)]
    assert "指摘02" in office_mail.body and "審査待ち" in office_mail.subject
    assert ("other@example.jp",) not in by_to  # 市民課's only item is submitted, nothing to chase
    assert len(mail.outbox) == 2


def test_running_twice_the_same_day_sends_nothing_more(setup):
    call_command("send_reminders", "--today", TODAY.isoformat())
    call_command("send_reminders", "--today", TODAY.isoformat())
    assert len(mail.outbox) == 2
    call_command("send_reminders", "--today", (TODAY + datetime.timedelta(days=1)).isoformat())
    assert len(mail.outbox) == 4
