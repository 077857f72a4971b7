import time

from django.core.management.base import BaseCommand, CommandError

from findings.bundle.service import BundleInvalid, import_report_bundle


class Command(BaseCommand):
    help = "報告書データ（fixtures の形式のフォルダ）を検証してから一括で取り込みます。"

    def add_arguments(self, parser):
        parser.add_argument("path", help="バンドルのフォルダ（例: fixtures/<報告書の識別子>）")
        parser.add_argument(
            "--dry-run", action="store_true", help="書き込まずに、作成・変更・削除される件数を表示します"
        )
        parser.add_argument("--show-changes", action="store_true", help="変更される項目を一つずつ表示します")

    def handle(self, *args, path, dry_run, show_changes, **options):
        started = time.perf_counter()
        try:
            outcome = import_report_bundle(path, dry_run=dry_run)
        except BundleInvalid as exc:
            for problem in exc.problems:
                self.stderr.write(f"エラー: {problem}")
            raise CommandError(f"{len(exc.problems)} 件の問題があるため、何も取り込みませんでした。") from exc
        elapsed = time.perf_counter() - started
        for warning in outcome.warnings:
            self.stdout.write(self.style.WARNING(f"警告: {warning}"))
        for notice in outcome.notices:
            self.stdout.write(f"注記: {notice}")
        self.stdout.write(f"{'種類':<24} 作成  変更  同一  削除")
        for label, s in outcome.load.stats.items():
            self.stdout.write(f"{label:<24} {s.created:>4}  {s.updated:>4}  {s.unchanged:>4}  {s.deleted:>4}")
            if show_changes or dry_run:
                for change in s.changes:
                    self.stdout.write(f"    {change}")
        if dry_run:
            verdict = (
                "ドライラン: 変更はありません。"
                if not outcome.load.changed
                else "ドライラン: 上の内容で取り込まれます（まだ書き込んでいません）。"
            )
        else:
            verdict = (
                "変更はありませんでした（取り込み済みと同じ内容です）。"
                if not outcome.load.changed
                else "取り込みました。"
            )
        self.stdout.write(self.style.SUCCESS(f"{verdict} {elapsed:.2f} 秒"))
