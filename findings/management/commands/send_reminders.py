"""Daily digests (meant for cron): to each section, what is overdue or due within N days; to the
audit office, what awaits review. Idempotent per day: a digest already sent today is not resent."""

import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from auditreg.choices import Role
from auditreg.models import User
from findings.choices import ReportState
from findings.models import Measure, MeasureReport
from findings.reminders import send_digest


class Command(BaseCommand):
    help = "期限切れ・期限間近の措置を課ごとに、審査待ちの報告を監査事務局に、1 日 1 通のまとめメールで知らせます。"

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=14, help="期限間近とする日数（既定 14）")
        parser.add_argument("--today", type=datetime.date.fromisoformat, help="基準日 YYYY-MM-DD（既定: 今日）")

    def handle(self, *args, days, today, **options):
        today = today or timezone.localdate()
        horizon = today + datetime.timedelta(days=days)
        sent = skipped = 0
        open_measures = (
            Measure.objects.filter(status__is_closed=False, reply_by__isnull=False, reply_by__lte=horizon)
            .exclude(reports__state=ReportState.SUBMITTED)
            .select_related("finding__report", "section__bureau")
            .order_by("section_id", "reply_by", "finding__order")
        )
        by_section: dict[int, list[Measure]] = {}
        for m in open_measures:
            by_section.setdefault(m.section_id, []).append(m)
        users = User.objects.filter(is_active=True).exclude(email="")
        section_people: dict[int, list[str]] = {}
        for u in users.filter(role__in=[Role.SECTION_STAFF, Role.SECTION_HEAD], section_id__in=by_section):
            section_people.setdefault(u.section_id, []).append(u.email)
        for section_id, items in by_section.items():
            lines = []
            for m in items:
                label = "期限超過" if m.reply_by < today else "期限間近"
                lines.append(f"[{label}] {m.finding.code} {m.finding.title}（回答期限 {m.reply_by:%Y-%m-%d}）")
            ok = self._send(
                today,
                f"section:{section_id}",
                "due",
                section_people.get(section_id, []),
                f"【措置の回答期限】{items[0].section}：{len(items)} 件",
                lines,
            )
            sent, skipped = sent + ok, skipped + (not ok)
        waiting = list(
            MeasureReport.objects.filter(state=ReportState.SUBMITTED)
            .select_related("measure__finding", "measure__section")
            .order_by("approved_at")
        )
        if waiting:
            office = list(users.filter(role=Role.AUDITOR).values_list("email", flat=True))
            lines = [f"{r.measure.finding.code} {r.measure.section}（提出 {r.approved_at:%Y-%m-%d}）" for r in waiting]
            ok = self._send(today, "auditors", "review", office, f"【審査待ち】措置の報告 {len(waiting)} 件", lines)
            sent, skipped = sent + ok, skipped + (not ok)
        self.stdout.write(f"{today}: {sent} 通送信、{skipped} 通は本日送信済みまたは宛先なしのため省略")

    def _send(self, today, key, kind, recipients, subject, lines) -> bool:
        return send_digest(today=today, key=key, kind=kind, recipients=recipients, subject=subject, lines=lines)
