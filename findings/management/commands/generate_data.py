"""Synthetic data at scale on top of the real report, for benchmarks: audit reports across years,
findings with Japanese text of realistic length, bureaus and sections, measures with multi-year
report histories and change-log entries, evidence metadata, systems and budget lines.

    python manage.py generate_data --findings 30000      # ≈100k measures, ≈500k history entries

Scale 1 (no synthetic data) is the real report alone. Writes in batches; refuses a database that
already holds synthetic data unless --replace is given."""

import datetime
import random

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from auditreg.models import Bureau, ChangeLog, Section, User
from budgets.models import DxField, DxLine
from findings.models import (
    AuditReport,
    EvidenceFile,
    Finding,
    FindingGroup,
    FindingSection,
    Measure,
    MeasureReport,
    MeasureStatus,
)
from findings.status import rebuild_counts, refresh
from systems.models import InformationSystem

PREFIX = "synthetic-"
BATCH = 5000  # rows per bulk insert
PER_REPORT = 30  # findings per synthetic report
KINDS = ["定期監査", "行政監査", "財政援助団体等監査", "包括外部監査"]
THEMES = [
    "公有財産の管理について",
    "補助金の交付事務について",
    "情報システムの調達と運用について",
    "委託契約の事務について",
    "使用料及び手数料の徴収事務について",
    "債権管理について",
]
SENTENCES = [
    "所管課は、{x}に関する事務を実施手順に従って行っているとしているが、その記録が保存されていない。",
    "{x}の契約において、予定価格の算定根拠となる見積書が一者からしか徴取されていない。",
    "{x}に係る情報資産台帳が作成されておらず、重要度の分類が確認できない。",
    "{x}の補助金について、実績報告書の審査が形式的なものにとどまっている。",
    "パスワードの定期的な変更が行われておらず、退職者の ID が削除されずに残っている。",
    "{x}の事業効果を測定する指標が設定されておらず、成果の検証が困難である。",
]
ACTIONS = ["事務の見直し", "記録の保存", "契約の適正化", "台帳の整備"]
TOPICS = [
    "基幹情報システム",
    "公共施設予約",
    "道路占用",
    "市税の滞納整理",
    "子育て支援",
    "ごみ収集",
    "消防設備",
    "文化施設の運営",
    "学校給食",
    "下水道使用料",
    "観光案内",
    "電子申請",
]


def text(rnd: random.Random, n: int) -> str:
    return "".join(rnd.choice(SENTENCES).format(x=rnd.choice(TOPICS)) for _ in range(n))


class Command(BaseCommand):
    help = "ベンチマーク用の合成データを、実際の報告書に加えて作ります。"

    def add_arguments(self, parser):
        parser.add_argument("--findings", type=int, default=30000)
        parser.add_argument("--measures-per-finding", type=float, default=3.9)
        parser.add_argument("--reports-per-measure", type=float, default=2.2)
        parser.add_argument("--log-per-report", type=float, default=3.0)
        parser.add_argument("--seed", type=int, default=20250411)
        parser.add_argument("--replace", action="store_true", help="既存の合成データを消してから作る")

    def handle(
        self, *args, findings, measures_per_finding, reports_per_measure, log_per_report, seed, replace, **options
    ):
        if AuditReport.objects.filter(code__startswith=PREFIX).exists():
            if not replace:
                raise CommandError("合成データがすでにあります（--replace で作り直し）。")
            self._delete()
        rnd = random.Random(seed)
        started = timezone.now()
        counts = self._generate(rnd, findings, measures_per_finding, reports_per_measure, log_per_report)
        seconds = (timezone.now() - started).total_seconds()
        self.stdout.write(", ".join(f"{k} {v:,}" for k, v in counts.items()) + f"（{seconds:.0f} 秒）")

    @transaction.atomic
    def _delete(self):
        reports = AuditReport.objects.filter(code__startswith=PREFIX)
        # the generated entries, and any written since about synthetic findings or by synthetic users
        # (bench/run.py saves reports as a synthetic section's staff)
        ChangeLog.objects.filter(
            Q(object_repr__startswith=PREFIX)
            | Q(finding_id__in=Finding.objects.filter(report__in=reports).values("pk"))
            | Q(actor__username__startswith=PREFIX)
        ).delete()
        EvidenceFile.objects.filter(measure__finding__report__in=reports).delete()
        Measure.objects.filter(finding__report__in=reports).update(accepted_report=None)
        MeasureReport.objects.filter(measure__finding__report__in=reports).delete()
        Measure.objects.filter(finding__report__in=reports).delete()
        Finding.objects.filter(report__in=reports).delete()
        FindingGroup.objects.filter(report__in=reports).delete()
        DxLine.objects.filter(field__report__in=reports).delete()
        DxField.objects.filter(report__in=reports).delete()
        InformationSystem.objects.filter(report__in=reports).delete()
        reports.delete()
        User.objects.filter(username__startswith=PREFIX).delete()
        Section.objects.filter(bureau__name__startswith="合成").delete()
        Bureau.objects.filter(name__startswith="合成").delete()
        rebuild_counts()

    def _generate(self, rnd, n_findings, m_per_f, r_per_m, l_per_r):
        """The synthetic data, step by step (each step draws from `rnd` in the same order as ever, so a seed
        gives the same data)."""
        statuses = list(MeasureStatus.objects.order_by("order"))
        sections, auditors, staff_of, head_of = self._organisation()
        reports, groups, systems = self._reports(rnd, n_findings, sections)
        findings = Finding.objects.bulk_create(self._findings(rnd, reports, groups), batch_size=BATCH)
        measures = self._measures(rnd, findings, sections, statuses, auditors, m_per_f)
        named = self._named_sections(measures)
        created_reports = self._measure_reports(rnd, measures, statuses, auditors, staff_of, head_of, r_per_m)
        self._measure_statuses(measures, created_reports)
        self._logs(rnd, measures, created_reports, l_per_r)
        self._evidence(created_reports)
        ids = [f.pk for f in findings]
        for i in range(0, len(ids), BATCH):
            refresh(ids[i : i + BATCH], counts=False)
        rebuild_counts()  # the dashboard's per-section counts, once for the whole load
        return {
            "報告書": len(reports),
            "指摘・意見": len(findings),
            "措置": len(measures),
            "報告書記載の所管課": len(named),
            "措置の報告": len(created_reports),
            "変更履歴": ChangeLog.objects.filter(object_repr__startswith=PREFIX).count(),
            "情報システム": len(systems),
            "課": len(sections),
        }

    def _organisation(self):
        # organisation: 25 bureaus × 12 sections
        order0 = (Bureau.objects.order_by("-order").values_list("order", flat=True).first() or 0) + 1
        bureaus = Bureau.objects.bulk_create([Bureau(name=f"合成{i:02d}局", order=order0 + i) for i in range(25)])
        sections = Section.objects.bulk_create(
            [Section(bureau=b, name=f"合成{b.order}-{j:02d}課", order=j) for b in bureaus for j in range(12)]
        )
        auditors = [
            User.objects.create_user(
                f"{PREFIX}auditor{i}", password=None, role="auditor", last_name="監査", first_name=str(i)
            )
            for i in range(5)
        ]
        staff = User.objects.bulk_create(
            [
                User(
                    username=f"{PREFIX}staff{s.pk}",
                    role="section_staff",
                    section=s,
                    last_name="担当",
                    first_name=str(s.pk),
                    password="!",
                )
                for s in sections
            ]
        )
        heads = User.objects.bulk_create(
            [
                User(
                    username=f"{PREFIX}head{s.pk}",
                    role="section_head",
                    section=s,
                    last_name="課長",
                    first_name=str(s.pk),
                    password="!",
                )
                for s in sections
            ]
        )
        staff_of = {u.section_id: u for u in staff}
        head_of = {u.section_id: u for u in heads}
        return sections, auditors, staff_of, head_of

    def _reports(self, rnd, n_findings, sections):
        # reports: 30 findings each, across 20 years
        n_reports = max(1, n_findings // PER_REPORT)
        reports = AuditReport.objects.bulk_create(
            [
                AuditReport(
                    code=f"{PREFIX}{i:05d}",
                    kind=rnd.choice(KINDS),
                    fiscal_year=2005 + i % 20,
                    target_fiscal_year=2004 + i % 20,
                    theme=f"{PREFIX}{rnd.choice(THEMES)}（{i}）",
                    published_on=datetime.date(2006 + i % 20, 3, 28),
                )
                for i in range(n_reports)
            ]
        )
        groups = FindingGroup.objects.bulk_create(
            [FindingGroup(report=r, area="DX", order=1, title="全般事項") for r in reports]
        )
        systems = InformationSystem.objects.bulk_create(
            [
                InformationSystem(report=r, number=j + 1, section=rnd.choice(sections), name=f"合成システム{j}")
                for r in reports[: n_reports // 10 + 1]
                for j in range(20)
            ],
            batch_size=BATCH,
        )
        fields = DxField.objects.bulk_create(
            [
                DxField(report=r, order=1, name="行政", budget_thousand_yen=1000, actual_thousand_yen=900)
                for r in reports[:50]
            ]
        )
        DxLine.objects.bulk_create(
            [DxLine(field=f, order=1, major_no=1, title="大項目", budget_thousand_yen=1000) for f in fields]
        )
        return reports, groups, systems

    def _findings(self, rnd, reports, groups) -> list:
        per_report = PER_REPORT
        finding_objs = []
        for r, g in zip(reports, groups, strict=True):
            for j in range(per_report):
                kind = "指摘" if j < 3 else "意見"
                number = j + 1 if kind == "指摘" else j - 2
                title = f"{rnd.choice(TOPICS)}に関する{rnd.choice(ACTIONS)}"
                f = Finding(
                    report=r,
                    code=f"{kind}{number:02d}",
                    key=f"{kind}{number:02d}",
                    kind=kind,
                    number=number,
                    order=j + 1,
                    area="DX" if j % 2 else "情報システム",
                    group=g,
                    title=title,
                    page=10 + j * 3,
                    detected=text(rnd, 4),
                    problem=text(rnd, 1),
                    recommendation=text(rnd, 3),
                )
                f.search_text = f.build_search_text()
                finding_objs.append(f)
        return finding_objs

    def _measures(self, rnd, findings, sections, statuses, auditors, m_per_f) -> list:
        now = timezone.now()
        measures = []
        for f in findings:
            k = max(1, int(rnd.gauss(m_per_f, 1)))
            for s in rnd.sample(sections, min(k, 6)):
                measures.append(
                    Measure(
                        finding=f,
                        section=s,
                        status=statuses[0],
                        assigned_by=auditors[0],
                        assigned_at=now - datetime.timedelta(days=rnd.randint(30, 3000)),
                        reply_by=datetime.date.today() + datetime.timedelta(days=rnd.randint(-400, 200)),
                    )
                )
        measures = Measure.objects.bulk_create(measures, batch_size=BATCH)
        return measures

    def _named_sections(self, measures) -> list:
        # the sections the report itself names (所管課, shown in the findings list and matched by the
        # 局・課 filters): like the real report, one or two of the sections later assigned
        named = []
        per_finding: dict[int, int] = {}
        for m in measures:
            if per_finding.get(m.finding_id, 0) < 2:
                per_finding[m.finding_id] = per_finding.get(m.finding_id, 0) + 1
                named.append(FindingSection(finding_id=m.finding_id, section_id=m.section_id))
        FindingSection.objects.bulk_create(named, batch_size=BATCH)
        return named

    def _measure_reports(self, rnd, measures, statuses, auditors, staff_of, head_of, r_per_m) -> list:
        open_statuses = [s for s in statuses if s.code in ("planned", "in_progress")]
        done = next(s for s in statuses if s.is_done)
        reports_objs = []
        for m in measures:
            k = max(0, int(rnd.gauss(r_per_m, 1)))
            when = m.assigned_at
            for i in range(k):
                when = when + datetime.timedelta(days=rnd.randint(30, 300))
                last = i == k - 1
                status = done if last and rnd.random() < 0.5 else rnd.choice(open_statuses)
                state = "accepted" if not last or rnd.random() < 0.8 else rnd.choice(["draft", "submitted", "returned"])
                staff_u, head_u = staff_of[m.section_id], head_of[m.section_id]
                reports_objs.append(
                    MeasureReport(
                        measure=m,
                        state=state,
                        status=status,
                        reported_on=when.date(),
                        text=text(rnd, 2),
                        completed_on=when.date() if status.is_done else None,
                        drafted_by=staff_u,
                        drafted_at=when,
                        last_edited_by=staff_u,
                        updated_at=when,
                        approved_by=head_u if state in ("submitted", "accepted") else None,
                        approved_at=when if state in ("submitted", "accepted") else None,
                        reviewed_by=auditors[0] if state in ("accepted", "returned") else None,
                        reviewed_at=when + datetime.timedelta(days=3) if state in ("accepted", "returned") else None,
                    )
                )
        created_reports = []
        for i in range(0, len(reports_objs), BATCH):
            created_reports += MeasureReport.objects.bulk_create(reports_objs[i : i + BATCH])
        return created_reports

    def _measure_statuses(self, measures, created_reports) -> None:
        # measure status = latest accepted report
        latest = {}
        for r in created_reports:
            if r.state == "accepted":
                latest[r.measure_id] = r
        by_id = {m.pk: m for m in measures}
        changed = []
        for measure_id, r in latest.items():
            m = by_id[measure_id]
            m.status_id, m.accepted_report_id = r.status_id, r.pk
            changed.append(m)
        Measure.objects.bulk_update(changed, ["status", "accepted_report"], batch_size=BATCH)

    def _logs(self, rnd, measures, created_reports, l_per_r) -> None:
        logs = []
        finding_of = {m.pk: m.finding_id for m in measures}
        for r in created_reports:
            for j in range(max(1, int(rnd.gauss(l_per_r, 1)))):
                logs.append(
                    ChangeLog(
                        at=r.drafted_at + datetime.timedelta(hours=j),
                        actor=r.drafted_by,
                        action=["report.created", "report.edited", "report.submitted", "report.accepted"][min(j, 3)],
                        object_type="findings.measurereport",
                        object_id=r.pk,
                        object_repr=f"{PREFIX}{r.pk}",
                        finding_id=finding_of[r.measure_id],
                        changes={"text": ["…", r.text[:40]]},
                    )
                )
                if len(logs) >= BATCH:
                    ChangeLog.objects.bulk_create(logs)
                    logs = []
        ChangeLog.objects.bulk_create(logs)

    def _evidence(self, created_reports) -> None:
        EvidenceFile.objects.bulk_create(
            [
                EvidenceFile(
                    measure_id=r.measure_id,
                    report=r,
                    file=f"evidence/{r.measure_id}/synthetic{r.pk}",
                    original_name="根拠資料.pdf",
                    content_type="application/pdf",
                    size=123456,
                    sha256="0" * 64,
                    uploaded_by=r.drafted_by,
                    uploaded_at=r.drafted_at,
                )
                for r in created_reports[::5]
            ],
            batch_size=BATCH,
        )
