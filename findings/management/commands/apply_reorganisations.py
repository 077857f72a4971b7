"""Daily (systemd timer or cron): apply the reorganisation hand-overs whose effective date has come."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from findings import reorganisation


class Command(BaseCommand):
    help = "実施日が来た機構改革の引継ぎ（予定）を実施します。毎日 1 回実行します。"

    def add_arguments(self, parser):
        parser.add_argument("--today", type=datetime.date.fromisoformat, help="基準日 YYYY-MM-DD（既定: 今日）")

    def handle(self, *args, today, **options):
        today = today or timezone.localdate()
        done, failed = reorganisation.apply_due(today=today)
        for change in done:
            moved = change.moves.filter(to_section__isnull=False).count()
            refused = change.moves.filter(to_section__isnull=True).count()
            self.stdout.write(f"#{change.pk} {change}: {moved} 件を移しました（移せない措置 {refused} 件）。")
        for change, reason in failed:
            self.stderr.write(f"#{change.pk} {change}: 実施できません: {reason}")
        self.stdout.write(f"{today}: {len(done)} 件の引継ぎを実施しました。")
        if failed:
            raise CommandError(f"{len(failed)} 件の引継ぎを実施できませんでした（予定のまま残しています）。")
