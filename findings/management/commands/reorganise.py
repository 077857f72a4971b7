"""機構改革の引継ぎ: move the measures of an abolished or split section to its successors, from the
command line. --dry-run shows what would move and writes nothing."""

import argparse
import datetime

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from auditreg.models import User
from auditreg.wareki import format_date, parse_date
from findings import reorganisation
from findings.services import WorkflowError


class Command(BaseCommand):
    help = "廃止・分割される課の措置を承継する課へ移します（報告・根拠資料・履歴も一緒に移ります）。"

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="from_section", required=True, help="元の課（ID または 局名/課名）")
        parser.add_argument("--to", required=True, help="承継する課（ID または 局名/課名、分割はカンマ区切り）")
        parser.add_argument("--effective", required=True, help="実施日（2026-04-01 または 令和8年4月1日）")
        parser.add_argument(
            "--choose", action="append", default=[], help="分割のとき措置ごとの承継先: 措置ID=課（繰り返し可）"
        )
        parser.add_argument("--note", default="", help="備考")
        parser.add_argument("--by", help="実行する監査事務局・管理者のユーザー名（--dry-run 以外は必須）")
        parser.add_argument("--keep-section", action="store_true", help="元の課を廃止しない（適用終了日を入れない）")
        parser.add_argument("--dry-run", action="store_true", help="移す内容を表示するだけで、何も書き込みません")
        parser.add_argument("--today", type=datetime.date.fromisoformat, help=argparse_suppress())

    def handle(self, *args, from_section, to, effective, choose, note, by, keep_section, dry_run, today, **options):
        try:
            effective_on = parse_date(effective)
            old = reorganisation.resolve_section(from_section, on=effective_on - datetime.timedelta(days=1))
            successors = [reorganisation.resolve_section(t, on=effective_on) for t in to.split(",") if t.strip()]
            choices = {}
            for item in choose:
                measure_id, _, target = item.partition("=")
                choices[int(measure_id)] = reorganisation.resolve_section(target, on=effective_on).pk
            p = reorganisation.plan(
                from_section=old, to_sections=successors, effective_on=effective_on, choices=choices
            )
        except (WorkflowError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        self._show(p)
        if dry_run:
            self.stdout.write("（--dry-run: 何も書き込んでいません）")
            return
        user = User.objects.filter(username=by).first() if by else None
        if user is None:
            raise CommandError("--by に監査事務局または管理者のユーザー名を指定してください。")
        try:
            change = reorganisation.prepare(
                from_section=old,
                to_sections=successors,
                effective_on=effective_on,
                choices=choices,
                note=note,
                abolish=not keep_section,
                by=user,
                today=today or timezone.localdate(),
            )
        except (WorkflowError, PermissionDenied) as exc:
            raise CommandError(str(exc)) from None
        if change.state == change.APPLIED:
            moved = change.moves.filter(to_section__isnull=False).count()
            self.stdout.write(f"実施しました（引継ぎ #{change.pk}）: {moved} 件を移しました。")
        else:
            self.stdout.write(
                f"予定として登録しました（引継ぎ #{change.pk}）: {format_date(effective_on)} に "
                "manage.py apply_reorganisations が実施します。"
            )

    def _show(self, p):
        successors = "、".join(str(s) for s in p.to_sections)
        self.stdout.write(f"{format_date(p.effective_on)} {p.from_section} → {successors}")
        self.stdout.write(
            f"移す措置 {len(p.movable)} 件（報告 {p.n_reports} 件・根拠資料 {p.n_evidence} 件）、"
            f"移せない措置 {len(p.refused)} 件、変更履歴 {p.n_history} 件、元の課の利用者 {p.n_users} 人"
        )
        for s, n in p.per_successor():
            self.stdout.write(f"  {s}: {n} 件")
        for m in p.moves:
            target = m.to_section if not m.refused else "—"
            line = f"  [{m.measure.pk}] {m.measure.finding.code} {m.measure.status.label} → {target}"
            self.stdout.write(line + (f"  移せません: {m.refused}" if m.refused else ""))


def argparse_suppress():

    return argparse.SUPPRESS
