import io
import time
import zipfile
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from auditreg import access
from auditreg.choices import Role
from auditreg.models import User
from imports import pipeline
from imports.choices import BatchKind, BatchState
from imports.uploads import UploadRefused

SYSTEM_USERNAME = "system"


def system_actor() -> User:
    """The actor of imports run from the command line without --user: an account nobody can log in with."""
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"last_name": "システム（コマンド）", "role": Role.ADMIN, "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def zipped_folder(path: Path) -> bytes:
    """The bundle folder as the zip the browser takes (under one top folder, which the reader strips)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{path.name or 'bundle'}/", b"")
        for file in sorted(path.rglob("*")):
            if file.is_file() and not file.is_symlink():
                archive.write(file, f"{path.name or 'bundle'}/{file.relative_to(path).as_posix()}")
    return buffer.getvalue()


class Command(BaseCommand):
    help = (
        "報告書データ（fixtures の形式のフォルダ）を検証してから一括で取り込みます。ブラウザの取込と同じ手順"
        "（検証 → 内容の確認 → 取込）で、取込の記録と変更履歴が残ります。"
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="バンドルのフォルダ（例: fixtures/<報告書の識別子>）")
        parser.add_argument(
            "--dry-run", action="store_true", help="書き込まずに、作成・変更・削除される件数を表示します"
        )
        parser.add_argument("--show-changes", action="store_true", help="変更される項目を一つずつ表示します")
        parser.add_argument(
            "--user",
            help="取り込む人のユーザー名（監査事務局またはシステム管理者）。省略するとシステム（コマンド）の名前で記録します",
        )

    def handle(self, *args, dry_run, **options):
        # all or nothing: a refusal (CommandError) or a dry run leaves no row behind, not even the system account
        with transaction.atomic():
            self._import(dry_run=dry_run, **options)
            if dry_run:
                transaction.set_rollback(True)

    def _import(self, *, path, dry_run, show_changes, user=None, **options):
        started = time.perf_counter()
        actor = self._actor(user)
        folder = Path(path)
        if not folder.is_dir():
            self.stderr.write(f"エラー: {folder}: フォルダがありません")
            raise CommandError("1 件の問題があるため、何も取り込みませんでした。")
        try:
            batch = pipeline.stage(
                kind=BatchKind.BUNDLE,
                upload=SimpleUploadedFile(f"{folder.name or 'bundle'}.zip", zipped_folder(folder)),
                by=actor,
            )
        except UploadRefused as exc:
            self.stderr.write(f"エラー: {folder}: {exc}")
            raise CommandError("1 件の問題があるため、何も取り込みませんでした。") from exc
        if batch.state == BatchState.INVALID:
            for place, field, message in batch.problems:
                self.stderr.write(f"エラー: {' / '.join(p for p in (place, field) if p)}: {message}")
            raise CommandError(f"{len(batch.problems)} 件の問題があるため、何も取り込みませんでした。")
        if not dry_run:
            try:
                batch = pipeline.confirm(batch=batch, by=actor)
            except pipeline.ConfirmRefused as exc:
                raise CommandError(str(exc)) from exc
        self._write(batch, show_changes or dry_run)
        changed = any(s["created"] or s["updated"] or s["deleted"] for s in batch.summary.values())
        if dry_run:
            verdict = (
                "ドライラン: 変更はありません。"
                if not changed
                else "ドライラン: 上の内容で取り込まれます（まだ書き込んでいません）。"
            )
        else:
            verdict = "変更はありませんでした（取り込み済みと同じ内容です）。" if not changed else "取り込みました。"
            verdict += f"（取込 {batch.pk}）"
        self.stdout.write(self.style.SUCCESS(f"{verdict} {time.perf_counter() - started:.2f} 秒"))

    def _actor(self, username) -> User:

        if username is None:
            return system_actor()
        try:
            actor = User.objects.get(username=username, is_active=True)
        except User.DoesNotExist as exc:
            raise CommandError(f"ユーザー {username} がいません（または無効です）。") from exc
        if not access.allowed(actor, "import_data"):
            raise CommandError("取り込めるのは監査事務局とシステム管理者だけです。")
        return actor

    def _write(self, batch, show_changes: bool) -> None:
        for place, field, message in batch.warnings:
            self.stdout.write(self.style.WARNING(f"警告: {' / '.join(p for p in (place, field) if p)}: {message}"))
        for notice in batch.notices:
            self.stdout.write(f"注記: {notice}")
        self.stdout.write(f"{'種類':<24} 作成  変更  同一  削除")
        changes: dict[str, list] = {}
        for label, key, field, old, new in batch.changes:
            changes.setdefault(label, []).append(f"{key} {field}: {old} → {new}" if old or new else f"{key} {field}")
        for label, s in batch.summary.items():
            self.stdout.write(
                f"{label:<24} {s['created']:>4}  {s['updated']:>4}  {s['unchanged']:>4}  {s['deleted']:>4}"
            )
            if show_changes:
                for change in changes.get(label, []):
                    self.stdout.write(f"    {change}")
