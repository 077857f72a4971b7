"""Bulk work of the audit office (findings.bulk): each item through the single action's service, refused
items listed with the service's reason, the rest done, everything recorded per item."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from auditreg.choices import Role
from auditreg.models import ChangeLog, Section
from findings import bulk, services
from findings.choices import ReportState
from findings.models import Finding, Measure, MeasureStatus, ReminderLog

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2025, 10, 1)
D1 = datetime.date(2025, 12, 26)
D2 = datetime.date(2026, 1, 30)


@pytest.fixture
def org(make_user):
    koho = Section.objects.get(bureau__name="都市政策局", name="広報広聴課")
    shimin = Section.objects.get(bureau__name="市民局", name="市民課")
    return {
        "koho": koho,
        "shimin": shimin,
        "auditor": make_user("aud", Role.AUDITOR, email="audit@example.jp"),
        "staff": make_user("staff", Role.SECTION_STAFF, koho, email="staff@example.jp"),
        "head": make_user("head", Role.SECTION_HEAD, koho, email="head@example.jp"),
        "staff2": make_user("staff2", Role.SECTION_STAFF, shimin),
        "head2": make_user("head2", Role.SECTION_HEAD, shimin),
    }


def finding(report, code) -> Finding:
    return Finding.objects.get(report=report, code=code)


def submitted(measure, staff, head, code="in_progress"):
    r = services.report_save_draft(
        measure=measure,
        by=staff,
        version=None,
        values={"status": MeasureStatus.objects.get(code=code), "reported_on": TODAY, "text": "対応中"},
    )
    return services.report_submit(report=r, by=head)


def test_assign_many_with_a_date_per_section_and_a_refusal(report, org):
    f1, f2, f3 = finding(report, "指摘01"), finding(report, "意見01"), finding(report, "意見02")
    # 意見02 is already 市民課's, which has reported: replacing its sections must refuse to drop it
    (m3,) = services.finding_assign(finding=f3, sections=[org["shimin"]], reply_by=D1, by=org["auditor"])
    submitted(m3, org["staff2"], org["head2"])
    before = ChangeLog.objects.count()
    result = bulk.bulk_assign(
        findings=[f1, f2, f3],
        sections=[org["koho"]],
        reply_by_per_section={org["koho"].pk: D2},
        replace=True,
        by=org["auditor"],
    )
    assert [o.label for o in result.done] == ["指摘01", "意見01"]
    assert [(o.label, o.reason) for o in result.refused] == [
        ("意見02", "市民局 市民課 には報告または根拠資料があるため、割当を外せません。")
    ]
    assert Measure.objects.get(finding=f1, section=org["koho"]).reply_by == D2
    assert list(f3.measures.values_list("section_id", flat=True)) == [org["shimin"].pk]  # untouched
    assert ChangeLog.objects.count() - before == 2  # one measure.assigned per finding done
    assert set(
        ChangeLog.objects.filter(action="measure.assigned", finding_id__in=[f1.pk, f2.pk]).values_list(
            "finding_id", flat=True
        )
    ) == {f1.pk, f2.pk}
    f1.refresh_from_db()
    assert f1.status_code == "not_started"


def test_assign_adds_sections_keeping_the_existing_ones_and_their_dates(report, org):
    f = finding(report, "意見03")
    services.finding_assign(finding=f, sections=[org["shimin"]], reply_by=D1, by=org["auditor"])
    result = bulk.bulk_assign(
        findings=[f], sections=[org["koho"]], reply_by_per_section={org["koho"].pk: D2}, by=org["auditor"]
    )
    assert not result.refused
    assert dict(f.measures.values_list("section_id", "reply_by")) == {org["shimin"].pk: D1, org["koho"].pk: D2}


def test_only_the_audit_office_works_in_bulk(report, org):
    with pytest.raises(PermissionDenied):
        bulk.bulk_assign(
            findings=[finding(report, "指摘01")], sections=[org["koho"]], reply_by_per_section={}, by=org["head"]
        )
    with pytest.raises(PermissionDenied):
        bulk.bulk_remind(sections=[org["koho"]], by=org["staff"], today=TODAY)


def test_extend_reply_by_of_open_measures_only(report, org):
    a = org["auditor"]
    (m1,) = services.finding_assign(finding=finding(report, "指摘01"), sections=[org["koho"]], reply_by=D1, by=a)
    (m2,) = services.finding_assign(finding=finding(report, "指摘02"), sections=[org["koho"]], reply_by=D2, by=a)
    (m3,) = services.finding_assign(finding=finding(report, "指摘03"), sections=[org["koho"]], reply_by=D1, by=a)
    r = services.report_save_draft(
        measure=m3,
        by=org["staff"],
        version=None,
        values={
            "status": MeasureStatus.objects.get(code="done"),
            "reported_on": TODAY,
            "text": "済",
            "completed_on": TODAY,
        },
    )
    services.report_accept(report=services.report_submit(report=r, by=org["head"]), by=a)
    result = bulk.bulk_extend_reply_by(measures=[m1, m2, m3], new_date=datetime.date(2026, 1, 15), by=a)
    assert [o.label for o in result.done] == ["指摘01（都市政策局 広報広聴課）"]
    reasons = {o.label.split("（")[0]: o.reason for o in result.refused}
    assert "より後ではありません" in reasons["指摘02"]
    assert "措置済" in reasons["指摘03"]
    m1.refresh_from_db()
    assert m1.reply_by == datetime.date(2026, 1, 15)
    log = ChangeLog.objects.filter(action="measure.reply_by_changed", object_id=m1.pk).get()
    assert log.changes == {"reply_by": [D1.isoformat(), "2026-01-15"]}
    by_days = bulk.bulk_extend_reply_by(measures=[m2], days=30, by=a)
    m2.refresh_from_db()
    assert not by_days.refused and m2.reply_by == D2 + datetime.timedelta(days=30)


def test_accept_many_submitted_reports_and_refuse_one_not_submitted(report, org):
    a = org["auditor"]
    (m1,) = services.finding_assign(finding=finding(report, "指摘01"), sections=[org["koho"]], reply_by=D1, by=a)
    (m2,) = services.finding_assign(finding=finding(report, "指摘02"), sections=[org["shimin"]], reply_by=D1, by=a)
    r1 = submitted(m1, org["staff"], org["head"])
    r2 = submitted(m2, org["staff2"], org["head2"])
    services.report_return(report=r2, by=a, comment="資料を添付してください。")
    result = bulk.bulk_accept(reports=[r1, r2], by=a, comment="一括受理")
    assert [o.label for o in result.done] == ["指摘01（都市政策局 広報広聴課）"]
    assert result.refused[0].reason == "この報告は「差戻し」のため、「受理」はできません。"
    r1.refresh_from_db()
    m1.refresh_from_db()
    assert r1.state == ReportState.ACCEPTED and m1.status.code == "in_progress"
    assert ChangeLog.objects.filter(action="report.accepted", object_id=r1.pk, comment="一括受理").exists()


def test_remind_now_sends_each_chosen_section_its_digest_once_a_day(report, org):
    a = org["auditor"]
    services.finding_assign(finding=finding(report, "指摘01"), sections=[org["koho"]], reply_by=D1, by=a)
    other = Section.objects.exclude(pk__in=[org["koho"].pk, org["shimin"].pk]).first()
    services.finding_assign(finding=finding(report, "指摘02"), sections=[org["shimin"]], reply_by=D1, by=a)
    result = bulk.bulk_remind(sections=[org["koho"], org["shimin"], other], by=a, today=TODAY)
    assert [o.label for o in result.done] == ["都市政策局 広報広聴課"]
    reasons = dict((o.label, o.reason) for o in result.refused)
    assert reasons["市民局 市民課"] == "メールアドレスが登録された職員がいないため、送信できません。"
    assert reasons[f"{other.bureau.name} {other.name}"] == "回答を求める未完了の措置がありません。"
    (sent,) = mail.outbox
    assert sorted(sent.to) == ["head@example.jp", "staff@example.jp"] and "指摘01" in sent.body
    assert ReminderLog.objects.filter(kind=bulk.REMINDER_KIND, recipient_key=f"section:{org['koho'].pk}").count() == 1
    assert ChangeLog.objects.filter(action="reminder.sent", object_id=org["koho"].pk).count() == 1
    again = bulk.bulk_remind(sections=[org["koho"]], by=a, today=TODAY)
    assert again.refused[0].reason == "本日すでにこの課へ督促を送信しています。" and len(mail.outbox) == 1


def test_adding_a_section_already_assigned_without_a_date_keeps_its_date(report, org):
    f = finding(report, "意見04")
    services.finding_assign(finding=f, sections=[org["koho"]], reply_by=D1, by=org["auditor"])
    result = bulk.bulk_assign(
        findings=[f],
        sections=[org["koho"], org["shimin"]],
        reply_by_per_section={org["koho"].pk: None, org["shimin"].pk: D2},
        by=org["auditor"],
    )
    assert not result.refused
    assert dict(f.measures.values_list("section_id", "reply_by")) == {org["koho"].pk: D1, org["shimin"].pk: D2}


def _last_log() -> int:
    return ChangeLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _history(since_pk, finding):
    """The change log entries written about a finding since `since_pk`, as its history shows them (the
    object's id aside: one item of the bulk action and one single action act on different objects)."""
    return [
        (e.action, e.object_type, e.actor_id, e.changes, e.comment)
        for e in ChangeLog.objects.filter(pk__gt=since_pk, finding_id=finding.pk).order_by("pk")
    ]


def test_a_bulk_accept_writes_what_the_single_accept_writes(report, org):
    a = org["auditor"]
    (m1,) = services.finding_assign(finding=finding(report, "指摘01"), sections=[org["koho"]], reply_by=D1, by=a)
    (m2,) = services.finding_assign(finding=finding(report, "指摘02"), sections=[org["koho"]], reply_by=D1, by=a)
    r1, r2 = submitted(m1, org["staff"], org["head"]), submitted(m2, org["staff"], org["head"])
    start = _last_log()
    services.report_accept(report=r1, by=a, comment="受理します。")
    assert not bulk.bulk_accept(reports=[r2], by=a, comment="受理します。").refused
    single, many = _history(start, m1.finding), _history(start, m2.finding)
    assert single == many and [e[0] for e in single] == ["report.accepted"]
    assert single[0][3] == {"state": ["submitted", "accepted"], "status": ["未着手", "措置中"]}
    for r in (r1, r2):
        r.refresh_from_db()
    m1.refresh_from_db()
    m2.refresh_from_db()
    assert (r1.state, r1.reviewed_by, r1.review_comment) == (r2.state, r2.reviewed_by, r2.review_comment)
    assert (m1.accepted_report_id, m2.accepted_report_id) == (r1.pk, r2.pk)
    assert (m1.status, m1.finding.status_code) == (m2.status, m2.finding.status_code)


def test_a_bulk_assignment_writes_what_the_single_assignment_writes(report, org):
    a = org["auditor"]
    f1, f2 = finding(report, "意見01"), finding(report, "意見02")
    for f in (f1, f2):  # both first 市民課's (nothing reported), then 広報広聴課's alone
        services.finding_assign(finding=f, sections=[org["shimin"]], reply_by=D1, by=a)
    start = _last_log()
    services.finding_assign(finding=f1, sections=[org["koho"]], reply_by=D2, by=a)
    result = bulk.bulk_assign(
        findings=[f2], sections=[org["koho"]], reply_by_per_section={org["koho"].pk: D2}, replace=True, by=a
    )
    assert not result.refused
    single, many = _history(start, f1), _history(start, f2)
    assert single == many and [e[0] for e in single] == ["measure.unassigned", "measure.assigned"]
    assert single[1][3] == {"section": [None, "都市政策局 広報広聴課"], "reply_by": [None, D2.isoformat()]}
    for f in (f1, f2):
        f.refresh_from_db()
    assert [list(f.measures.values_list("section_id", "reply_by", "status__code")) for f in (f1, f2)] == [
        [(org["koho"].pk, D2, "not_started")]
    ] * 2
    assert f1.status_code == f2.status_code == "not_started"


def test_a_bulk_extension_writes_what_the_single_assignment_writes(report, org):
    a = org["auditor"]
    f1, f2 = finding(report, "意見03"), finding(report, "意見04")
    for f in (f1, f2):
        services.finding_assign(finding=f, sections=[org["koho"], org["shimin"]], reply_by=D1, by=a)
    start = _last_log()
    # the single action: the same sections, 広報広聴課's date moved to D2
    services.finding_assign(
        finding=f1, sections=[org["koho"], org["shimin"]], reply_by=D1, reply_by_per_section={org["koho"].pk: D2}, by=a
    )
    m2 = Measure.objects.get(finding=f2, section=org["koho"])
    assert not bulk.bulk_extend_reply_by(measures=[m2], new_date=D2, by=a).refused
    single, many = _history(start, f1), _history(start, f2)
    assert (
        single
        == many
        == [("measure.reply_by_changed", "findings.measure", a.pk, {"reply_by": [D1.isoformat(), D2.isoformat()]}, "")]
    )
    assert [dict(f.measures.values_list("section_id", "reply_by")) for f in (f1, f2)] == [
        {org["koho"].pk: D2, org["shimin"].pk: D1}
    ] * 2


def test_a_digest_logged_meanwhile_by_another_process_does_not_stop_the_others(report, org, make_user, monkeypatch):
    from findings import reminders

    a = org["auditor"]
    make_user("staff2m", Role.SECTION_STAFF, org["shimin"], email="shimin@example.jp")
    services.finding_assign(finding=finding(report, "指摘01"), sections=[org["koho"]], reply_by=D1, by=a)
    services.finding_assign(finding=finding(report, "指摘02"), sections=[org["shimin"]], reply_by=D1, by=a)
    # 市民課's reminder is logged by another process after this one looked (the look sees nothing)
    ReminderLog.objects.create(
        sent_on=TODAY,
        recipient_key=f"section:{org['shimin'].pk}",
        kind=bulk.REMINDER_KIND,
        recipients="x",
        item_count=1,
    )
    monkeypatch.setattr(reminders.ReminderLog.objects, "filter", lambda **kw: ReminderLog.objects.none())
    result = bulk.bulk_remind(sections=[org["koho"], org["shimin"]], by=a, today=TODAY)
    assert [o.label for o in result.done] == ["都市政策局 広報広聴課"]
    assert [o.reason for o in result.refused] == ["本日すでにこの課へ督促を送信しています。"]
    (sent,) = mail.outbox
    assert "staff@example.jp" in sent.to
