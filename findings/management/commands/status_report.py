import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone

from auditreg.validators import parse_id
from findings import renderers, status_report
from findings.models import AuditReport


def iso_date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"日付は YYYY-MM-DD で指定してください（{value!r}）") from None


class Command(BaseCommand):
    help = "措置状況を Excel・PDF・CSV で書き出します（定期実行用）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--report",
            action="append",
            required=True,
            help="報告書の識別子または ID（複数指定で過年度分も併せて掲載。最初のものが表題）",
        )
        parser.add_argument("--as-of", type=str, default=None, help="時点 YYYY-MM-DD（既定: 今日）")
        parser.add_argument("--format", choices=sorted(renderers.RENDERERS), required=True)
        parser.add_argument("--per", choices=["finding", "section"], default="finding")
        parser.add_argument("-o", "--output", required=True, help="出力ファイル")

    def handle(self, *args, report, as_of, format, per, output, **options):
        chosen = []
        for key in report:
            q = Q(code=key) | (Q(pk=parse_id(key)) if parse_id(key) is not None else Q(pk__in=[]))
            obj = AuditReport.objects.filter(q).first()
            if obj is None:
                raise CommandError(f"報告書「{key}」がありません。")
            chosen.append(obj)
        day = iso_date(as_of) if as_of else timezone.localdate()
        built = status_report.build(reports=chosen, as_of=day, per=per)
        render, _ = renderers.RENDERERS[format]
        content = render(built)
        Path(output).write_bytes(content)
        self.stdout.write(f"{built.title}: {len(built.rows)} 行、{len(content):,} バイトを {output} に書き出しました。")
