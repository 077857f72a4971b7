from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from imports import inquiry
from imports.models import InquiryResponse, InquiryRound


class Command(BaseCommand):
    help = "照会の、ある課の回答様式（Excel）を書き出します。"

    def add_arguments(self, parser):
        parser.add_argument("--round", dest="inquiry_round", type=int, required=True, help="照会の番号（ID）")
        parser.add_argument("--section", type=int, required=True, help="課の ID")
        parser.add_argument("-o", "--output", required=True, help="書き出すファイル（.xlsx）")
        parser.add_argument(
            "--user",
            help="この利用者のダウンロードとして記録します（その課の担当・課長の場合のみ。省略時は記録しません）",
        )

    def handle(self, *args, inquiry_round, section, output, user, **options):
        round_ = InquiryRound.objects.filter(pk=inquiry_round).first()
        if round_ is None:
            raise CommandError(f"照会 {inquiry_round} がありません。")
        response = InquiryResponse.objects.select_related("section__bureau").filter(round=round_, section_id=section)
        response = response.first()
        if response is None:
            raise CommandError(f"課 {section} はこの照会の対象ではありません。")
        by = None
        if user:
            by = get_user_model().objects.filter(username=user).first()
            if by is None:
                raise CommandError(f"利用者「{user}」がいません。")
        try:
            content = inquiry.section_workbook(inquiry_round=round_, section=response.section, by=by)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        with open(output, "wb") as handle:
            handle.write(content)
        self.stdout.write(self.style.SUCCESS(f"{response.section} の回答様式を {output} に書き出しました。"))
