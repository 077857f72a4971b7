import datetime

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from auditreg.changelog import record
from imports.choices import BatchState
from imports.models import ImportBatch


class Command(BaseCommand):
    help = (
        "保存期間を過ぎた取込ファイルの内容（アップロードされたバイト列）を削除します。記録（誰が・いつ・ファイル名・"
        "SHA-256・件数・変更内容）は残ります。確認待ちのまま期間を過ぎた取込は取消にします。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than", type=int, default=365, help="この日数より前のアップロードが対象（既定 365）"
        )
        parser.add_argument("--dry-run", action="store_true", help="件数を表示するだけで削除しません")

    def handle(self, *args, older_than, dry_run, **options):
        cutoff = timezone.now() - datetime.timedelta(days=max(older_than, 0))
        batches = ImportBatch.objects.filter(uploaded_at__lt=cutoff, content_purged_at__isnull=True)
        count = batches.count()
        if dry_run:
            self.stdout.write(f"ドライラン: {count} 件の取込ファイルの内容が削除対象です。")
            return
        now = timezone.now()
        with transaction.atomic():
            expired = batches.filter(state=BatchState.PREVIEWED).update(state=BatchState.DISCARDED)
            purged = batches.update(content=b"", content_purged_at=now)
            if purged:
                record(
                    actor=None,
                    action="import.files_purged",
                    obj=ImportBatch.objects.filter(content_purged_at=now).order_by("pk").first(),
                    changes={"batches": [None, purged], "expired_previews": [None, expired]},
                    comment=f"{older_than} 日より前のアップロード",
                )
        self.stdout.write(
            self.style.SUCCESS(f"{purged} 件の取込ファイルの内容を削除しました（確認待ちを取消: {expired} 件）。")
        )
