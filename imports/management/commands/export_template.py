from django.core.management.base import BaseCommand, CommandError

from findings.models import AuditReport
from imports.workbook import template_bytes


class Command(BaseCommand):
    help = "報告書データの Excel テンプレート（現在のデータ入り、または空）を書き出します。import_file で取り込めます。"

    def add_arguments(self, parser):
        parser.add_argument("path", help="書き出すファイル（.xlsx）")
        parser.add_argument("--report", help="報告書の識別子（省略時は見出しだけの空のテンプレート）")

    def handle(self, *args, path, report, **options):
        obj = None
        if report:
            obj = AuditReport.objects.filter(code=report).first()
            if obj is None:
                raise CommandError(f"報告書「{report}」がありません。")
        data = template_bytes(obj)
        with open(path, "wb") as handle:
            handle.write(data)
        what = obj.code if obj else "空のテンプレート"
        self.stdout.write(self.style.SUCCESS(f"{what}: {len(data):,} バイトを {path} に書き出しました。"))
