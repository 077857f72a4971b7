"""Reminder digests (督促): what a section has open against its reply-by dates, sent once per day and
kind (ReminderLog). The daily command (send_reminders) and the audit office's "remind now" (findings.bulk)
both send through here."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction

from auditreg import access
from auditreg.models import User
from auditreg.wareki import format_date

from .choices import ReportState
from .models import Measure, ReminderLog


def open_measures():
    """Measures the section still owes a reply on: not closed, not awaiting review."""
    return (
        Measure.objects.filter(status__is_closed=False)
        .exclude(reports__state=ReportState.SUBMITTED)
        .select_related("finding__report", "section__bureau")
        .order_by("section_id", "reply_by", "finding__order")
    )


def section_recipients(section_ids) -> dict[int, list[str]]:
    """The e-mail addresses of each section's active staff and heads."""
    people: dict[int, list[str]] = {}
    users = User.objects.filter(is_active=True, role__in=access.SECTION_ROLES).exclude(email="")
    for section_id, email in users.filter(section_id__in=list(section_ids)).values_list("section_id", "email"):
        people.setdefault(section_id, []).append(email)
    return people


def digest_lines(measures, today: datetime.date) -> list[str]:
    lines = []
    for m in measures:
        if m.reply_by is None:
            label, due = "期限なし", "回答期限なし"
        else:
            label = "期限超過" if m.reply_by < today else "期限間近"  # open measures only: overdue_q's date part
            due = f"回答期限 {format_date(m.reply_by)}"
        lines.append(f"[{label}] {m.finding.code} {m.finding.title}（{due}）")
    return lines


@dataclass
class Digest:
    """One digest to send: to whom (the ReminderLog key and the addresses), its subject and lines."""

    key: str
    recipients: list[str]
    subject: str
    lines: list[str]


def send_digest(*, today, key, kind, recipients, subject, lines) -> bool:
    """Send one digest and log it; False when there is no recipient or it was already sent today."""
    return bool(send_digests(today=today, kind=kind, digests=[Digest(key, recipients, subject, lines)]))


def send_digests(*, today, kind, digests: list[Digest]) -> list[Digest]:
    """Send each digest that has recipients and was not sent today (once per day and kind: ReminderLog),
    and log it; returns those sent. One query finds those already sent, one logs the others, whatever
    their number. If another process logs one meanwhile (the unique constraint refuses the batch), each
    is sent on its own."""
    digests = [d for d in digests if d.recipients]
    if not digests:
        return []
    sent = set(
        ReminderLog.objects.filter(sent_on=today, kind=kind, recipient_key__in=[d.key for d in digests]).values_list(
            "recipient_key", flat=True
        )
    )
    todo = [d for d in digests if d.key not in sent]
    if not todo:
        return []
    try:
        with transaction.atomic():
            ReminderLog.objects.bulk_create(
                [
                    ReminderLog(
                        sent_on=today,
                        recipient_key=d.key,
                        kind=kind,
                        recipients=",".join(d.recipients),
                        item_count=len(d.lines),
                    )
                    for d in todo
                ]
            )
            for d in todo:
                body = "\n".join(
                    [
                        "auditreg からのお知らせです。",
                        "",
                        *d.lines,
                        "",
                        "詳しくは auditreg にログインしてご確認ください。",
                    ]
                )
                send_mail(d.subject, body, settings.DEFAULT_FROM_EMAIL, d.recipients)
    except IntegrityError:  # one was sent meanwhile
        if len(todo) == 1:
            return []
        return [d for d in todo if send_digests(today=today, kind=kind, digests=[d])]
    return todo
