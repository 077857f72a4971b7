"""Reminder digests (督促): what a section has open against its reply-by dates, sent once per day and
kind (ReminderLog). The daily command (send_reminders) and the audit office's "remind now" (findings.bulk)
both send through here."""

import datetime

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


def send_digest(*, today, key, kind, recipients, subject, lines) -> bool:
    """Send one digest and log it; False when there is no recipient or it was already sent today."""
    if not recipients:
        return False
    try:
        with transaction.atomic():
            ReminderLog.objects.create(
                sent_on=today, recipient_key=key, kind=kind, recipients=",".join(recipients), item_count=len(lines)
            )
            body = "\n".join(
                [
                    "auditreg からのお知らせです。",
                    "",
                    *lines,
                    "",
                    "詳しくは auditreg にログインしてご確認ください。",
                ]
            )
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except IntegrityError:  # already sent today
        return False
    return True
