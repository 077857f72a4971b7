from django.core.management.base import BaseCommand

from auditreg import accounts


class Command(BaseCommand):
    help = "アカウントを点検します（未使用・長期未使用・所属廃止・特権）。--deactivate-unused で未使用分を無効化。"

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=90)
        parser.add_argument("--deactivate-unused", action="store_true")

    def handle(self, *args, days, deactivate_unused, **options):
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
                last = f"{u.last_login:%Y-%m-%d}" if u.last_login else "なし"
                name = f"{u.last_name} {u.first_name}"
                self.stdout.write(f"  {u.username}\t{name}\t{u.get_role_display()}\t{where}\t最終ログイン {last}")
        if deactivate_unused:
            count = accounts.deactivate(users=result["never_used"] + result["unused"])
            self.stdout.write(self.style.SUCCESS(f"{count} 件を無効にしました。"))
