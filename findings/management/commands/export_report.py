from django.core.management.base import BaseCommand, CommandError

from findings.bundle.exporter import export_bundle
from findings.models import AuditReport


class Command(BaseCommand):
    help = "報告書データを fixtures と同じ形式でフォルダに書き出します（import_report の逆）。"

    def add_arguments(self, parser):
        parser.add_argument("path", help="書き出し先のフォルダ")
        parser.add_argument("--report", help="報告書の識別子（省略時は最新の報告書）")

    def handle(self, *args, path, report, **options):
        qs = AuditReport.objects.all()
        obj = qs.filter(code=report).first() if report else qs.order_by("-fiscal_year", "-published_on").first()
        if obj is None:
            raise CommandError(f"報告書「{report}」がありません。" if report else "報告書がまだ取り込まれていません。")
        written = export_bundle(obj, path)
        self.stdout.write(self.style.SUCCESS(f"{obj.code}: {len(written)} ファイルを {path} に書き出しました。"))
