import os

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from auditreg import access
from imports import pipeline
from imports.choices import BatchKind
from imports.cli import write_preview
from imports.models import InquiryRound
from imports.uploads import UploadRefused


class Command(BaseCommand):
    help = (
        "照会の回答様式（Excel）を、画面と同じ確認（プレビュー）を経て取り込みます。"
        "回答は指定した利用者が作成した下書きになります（課長の承認が必要）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="記入済みの回答様式（.xlsx）")
        parser.add_argument("--round", dest="inquiry_round", type=int, required=True, help="照会の番号（ID）")
        parser.add_argument("--user", required=True, help="回答する利用者の ID（その課の担当または課長）")
        parser.add_argument("--dry-run", action="store_true", help="確認だけを行い、取り込みません")

    def handle(self, *args, file, inquiry_round, user, dry_run, **options):
        by = get_user_model().objects.filter(username=user).first()
        if by is None:
            raise CommandError(f"利用者「{user}」がいません。")
        if not access.is_section_user(by):
            raise CommandError(f"利用者「{user}」は所管課の担当・課長ではありません。")
        round_ = InquiryRound.objects.filter(pk=inquiry_round).first()
        if round_ is None:
            raise CommandError(f"照会 {inquiry_round} がありません。")
        try:
            with open(file, "rb") as handle:
                batch = pipeline.stage(
                    kind=BatchKind.INQUIRY,
                    upload=File(handle, name=os.path.basename(file)),
                    by=by,
                    inquiry_round=round_,
                    section=by.section,
                )
        except OSError as exc:
            raise CommandError(f"ファイルを開けません: {exc}") from exc
        except UploadRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"照会: {batch.round.title}（{batch.section}）ファイル: {batch.filename}")
        write_preview(self, batch)
        if batch.problems:
            raise CommandError(
                f"{len(batch.problems)} 件の問題があるため、何も取り込みませんでした（取込 {batch.pk}）。"
            )
        if dry_run:
            pipeline.discard(batch=batch, by=by)
            self.stdout.write(self.style.SUCCESS("ドライラン: 上の内容で取り込まれます（まだ書き込んでいません）。"))
            return
        try:
            batch = pipeline.confirm(batch=batch, by=by)
        except pipeline.ConfirmRefused as exc:
            raise CommandError(str(exc)) from exc
        verdict = "取り込みました" if batch.changes else "変更はありませんでした（回答済として記録しました）"
        self.stdout.write(self.style.SUCCESS(f"{verdict}（取込 {batch.pk}）。課長の承認を経て提出されます。"))
