from django.core.management.base import BaseCommand

from auditreg import accounts, directory
from auditreg.wareki import format_datetime


class Command(BaseCommand):
    help = "アカウントを点検します（未使用・長期未使用・所属廃止・特権）。--deactivate-unused で未使用分を無効化。"

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=90)
        parser.add_argument("--deactivate-unused", action="store_true")
        parser.add_argument(
            "--sync-directory",
            action="store_true",
            help="ディレクトリの役割・所属（異動）を全アカウントに反映してから点検",
        )
        parser.add_argument("--deactivate-missing", action="store_true", help="ディレクトリにないアカウントを無効化")

    def handle(self, *args, days, deactivate_unused, sync_directory, deactivate_missing, **options):
        if sync_directory and directory.enabled():
            self.stdout.write(f"ディレクトリから反映: {directory.sync_all()} 件")
        result = accounts.review(days=days)
        titles = {
            "never_used": "一度も使われていない",
            "unused": f"{days} 日以上未使用",
            "orphaned": "所属課が廃止",
            "privileged": "管理者・監査事務局権限",
        }
        for key, title in titles.items():
            self.stdout.write(f"■ {title}: {len(result[key])} 件")
            for u in result[key]:
                where = f"{u.section.bureau.name} {u.section.name}" if u.section else "-"
                last = format_datetime(u.last_login) if u.last_login else "なし"
                name = f"{u.last_name} {u.first_name}"
                self.stdout.write(f"  {u.username}\t{name}\t{u.get_role_display()}\t{where}\t最終ログイン {last}")
        if result["directory_error"]:
            self.stderr.write(result["directory_error"])
        if result["directory_missing"] is not None:
            self.stdout.write(f"■ ディレクトリにない: {len(result['directory_missing'])} 件")
            for u in result["directory_missing"]:
                self.stdout.write(
                    f"  {u.username}\t{u.last_name} {u.first_name}\t{u.get_role_display()}\t{u.directory_dn}"
                )
            if deactivate_missing:
                count = accounts.deactivate(users=result["directory_missing"])
                self.stdout.write(self.style.SUCCESS(f"ディレクトリにない {count} 件を無効にしました。"))
        if deactivate_unused:
            count = accounts.deactivate(users=result["never_used"] + result["unused"])
            self.stdout.write(self.style.SUCCESS(f"{count} 件を無効にしました。"))
