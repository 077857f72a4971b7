"""Delete finished download jobs older than N days with their files (publication jobs are kept: they point
at a publication). Run it from cron beside `prune_db_task_results`, which empties django-tasks' own queue."""

import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from jobs.choices import FINISHED, JobKind
from jobs.models import Job


class Command(BaseCommand):
    help = "終了から指定日数を過ぎた書き出しの処理とその結果ファイルを削除します。"

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, default=7, metavar="DAYS", help="日数（既定 7）")

    def handle(self, *args, older_than, **options):
        cutoff = timezone.now() - datetime.timedelta(days=older_than)
        jobs = Job.objects.filter(kind=JobKind.EXPORT, state__in=FINISHED, finished_at__lt=cutoff)
        n = 0
        for job in jobs.iterator():
            if job.result:
                job.result.delete(save=False)
            job.delete()
            n += 1
        self.stdout.write(f"{n} 件の書き出しを削除しました。")
