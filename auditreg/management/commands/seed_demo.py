import datetime
import secrets

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from auditreg.choices import Role
from auditreg.models import Section, User
from findings.models import Finding, FindingSection
from findings.services import finding_assign

# One named person per role. The section users belong to the first section (in organisation order)
# that the imported report names as responsible for a finding, so the demo shows a section with work;
# whatever report was imported, of whatever city.
DEMO_USERS = [
    ("demo-admin", Role.ADMIN, False, "管理", "花子"),
    ("demo-auditor", Role.AUDITOR, False, "監査", "一郎"),
    ("demo-staff", Role.SECTION_STAFF, True, "所管", "次郎"),
    ("demo-head", Role.SECTION_HEAD, True, "所管", "課長"),
    ("demo-commissioner", Role.COMMISSIONER, False, "監査", "委員"),
    # the 局 of the demo section: approves (代決) when no one in the section may
    ("demo-bureau", Role.BUREAU_APPROVER, False, "局長", "代決"),
]


def demo_section():

    named = FindingSection.objects.select_related("section__bureau").order_by(
        "section__bureau__order", "section__order", "section__pk"
    )
    first = named.first()
    if first is not None:
        return first.section
    return Section.objects.select_related("bureau").order_by("bureau__order", "order", "pk").first()


class Command(BaseCommand):
    help = "デモ用アカウント（役割ごとに 1 人）を作成し、新しいパスワードを表示します（開発環境専用）。"

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="DEBUG=False でも実行します")

    @transaction.atomic
    def handle(self, *args, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError("デモ用アカウントは開発環境（DEBUG=True）でのみ作成します。")
        lines = []
        chosen = demo_section()
        for username, role, needs_section, last, first in DEMO_USERS:
            section = None
            if needs_section:
                section = chosen
                if section is None:
                    raise CommandError("課がありません。先に報告書を取り込んでください。")
            # A fresh random password on every run: no well-known demo password ever exists.
            password = secrets.token_urlsafe(12)
            user = User.objects.filter(username=username).first() or User(username=username)
            bureau = chosen.bureau if role == Role.BUREAU_APPROVER and chosen is not None else None
            user.role, user.section, user.bureau, user.last_name, user.first_name = role, section, bureau, last, first
            user.is_staff = user.is_superuser = role == Role.ADMIN
            user.is_active = True
            user.set_password(password)
            user.save()
            where = f"（{section.bureau.name} {section.name}）" if section else (f"（{bureau.name}）" if bureau else "")
            lines.append(f"  {role.label:<8} {username:<14} {password}  {last} {first}{where}")
        assigned = self._assign_named_findings(User.objects.get(username="demo-auditor"))
        if assigned:
            self.stdout.write(
                f"報告書が所管課を記載している指摘・意見 {assigned} 件を、その課に割り当てました（デモ用）。"
            )
        self.stdout.write("デモ用アカウント（役割 / ユーザー名 / パスワード）:")
        self.stdout.write("\n".join(lines))

    def _assign_named_findings(self, auditor) -> int:
        """Demo data: assign each finding to the sections the report names, once, so that the
        section accounts have work to see. Findings already assigned are left alone."""

        reply_by = timezone.localdate() + datetime.timedelta(days=60)
        count = 0
        for finding in Finding.objects.filter(measures__isnull=True, report_sections__isnull=False).distinct():
            sections = [fs.section for fs in finding.report_sections.select_related("section")]
            finding_assign(finding=finding, sections=sections, reply_by=reply_by, by=auditor)
            count += 1
        return count
