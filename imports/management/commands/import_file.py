import sys

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError

from auditreg import access
from auditreg.models import User
from imports import pipeline
from imports.choices import BatchState
from imports.cli import write_preview
from imports.uploads import UploadRefused


class Command(BaseCommand):
    help = (
        "報告書データのファイル（zip にしたフォルダ、または Excel テンプレート）を、ブラウザの取込と同じ手順"
        "（検証 → 内容の表示 → 取込）で取り込みます。取込は記録され、画面の「取込の記録」に表示されます。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="zip または .xlsx のファイル（- で標準入力）")
        parser.add_argument("--user", required=True, help="取り込む人のユーザー名（監査事務局またはシステム管理者）")
        parser.add_argument("--dry-run", action="store_true", help="検証と内容の表示だけ行い、取り込みません")

    def handle(self, *args, file, user, dry_run, **options):
        try:
            actor = User.objects.get(username=user, is_active=True)
        except User.DoesNotExist as exc:
            raise CommandError(f"ユーザー {user} がいません（または無効です）。") from exc
        if not access.allowed(actor, "import_data"):
            raise CommandError("取り込めるのは監査事務局とシステム管理者だけです。")
        try:
            data = sys.stdin.buffer.read() if file == "-" else open(file, "rb").read()  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"ファイルが読めません: {exc}") from exc
        try:
            batch = pipeline.stage(kind=None, upload=SimpleUploadedFile(file, data), by=actor)
        except UploadRefused as exc:
            raise CommandError(str(exc)) from exc
        write_preview(self, batch)
        if batch.state == BatchState.INVALID:
            raise CommandError(
                f"{len(batch.problems)} 件の問題があるため、何も取り込みませんでした（取込 {batch.pk}）。"
            )
        if dry_run:
            self.stdout.write(f"ドライラン: まだ書き込んでいません（取込 {batch.pk} は確認待ちのまま残ります）。")
            return
        try:
            batch = pipeline.confirm(batch=batch, by=actor)
        except pipeline.ConfirmRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"取り込みました（取込 {batch.pk}、{batch.seconds:.2f} 秒）。"))
