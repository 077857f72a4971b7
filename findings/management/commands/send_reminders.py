"""Daily digests (meant for cron): to each section, what is overdue or due within N days; to the
audit office, what awaits review. Idempotent per day: a digest already sent today is not resent."""

import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from auditreg.choices import Role
from auditreg.models import User
from auditreg.wareki import format_datetime
from findings import reminders
from findings.choices import ReportState
from findings.models import Measure, MeasureReport


class Command(BaseCommand):
    help = "期限切れ・期限間近の措置を課ごとに、審査待ちの報告を監査事務局に、1 日 1 通のまとめメールで知らせます。"

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=14, help="期限間近とする日数（既定 14）")
        parser.add_argument("--today", type=datetime.date.fromisoformat, help="基準日 YYYY-MM-DD（既定: 今日）")

    def handle(self, *args, days, today, **options):
        today = today or timezone.localdate()
        horizon = today + datetime.timedelta(days=days)
        sent = skipped = 0
        due = reminders.open_measures().filter(reply_by__isnull=False, reply_by__lte=horizon)
        by_section: dict[int, list[Measure]] = {}
        for m in due:
            by_section.setdefault(m.section_id, []).append(m)
        section_people = reminders.section_recipients(by_section)
        for section_id, items in by_section.items():
            ok = self._send(
                today,
                f"section:{section_id}",
                "due",
                section_people.get(section_id, []),
                f"【措置の回答期限】{items[0].section}：{len(items)} 件",
                reminders.digest_lines(items, today),
            )
            sent, skipped = sent + ok, skipped + (not ok)
        waiting = list(
            MeasureReport.objects.filter(state=ReportState.SUBMITTED)
            .select_related("measure__finding", "measure__section")
            .order_by("approved_at")
        )
        if waiting:
            office = list(
                User.objects.filter(is_active=True, role=Role.AUDITOR).exclude(email="").values_list("email", flat=True)
            )
            lines = [
                f"{r.measure.finding.code} {r.measure.section}（提出 {format_datetime(r.approved_at)}）"
                for r in waiting
            ]
            ok = self._send(today, "auditors", "review", office, f"【審査待ち】措置の報告 {len(waiting)} 件", lines)
            sent, skipped = sent + ok, skipped + (not ok)
        self.stdout.write(f"{today}: {sent} 通送信、{skipped} 通は本日送信済みまたは宛先なしのため省略")

    def _send(self, today, key, kind, recipients, subject, lines) -> bool:
        return reminders.send_digest(
            today=today, key=key, kind=kind, recipients=recipients, subject=subject, lines=lines
        )
