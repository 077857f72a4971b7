"""Synthetic data on top of the real report, for tests that need more rows (query bounds)."""

import datetime

from auditreg.models import Bureau, Section
from budgets.models import DxField, DxLine, DxProject, ProjectFunding
from findings.models import AuditReport, Finding, FindingGroup, FindingSection, FindingSubject
from systems.models import InformationSystem, SystemBudget


def bulk_report(n: int, code: str = "synthetic") -> AuditReport:
    """A report with n findings, n systems and n projects, each linked like the real ones."""
    report = AuditReport.objects.create(
        code=code, kind="定期監査", fiscal_year=2030, theme=f"合成データ {n}", published_on=datetime.date(2031, 3, 1)
    )
    bureau = Bureau.objects.create(name=f"合成局{code}", order=900)
    sections = Section.objects.bulk_create(
        [Section(bureau=bureau, name=f"合成課{i}", order=i) for i in range(max(n // 10, 1))]
    )
    group = FindingGroup.objects.create(report=report, area="DX", order=1, title="合成の見出し")
    field = DxField.objects.create(report=report, order=1, name="合成", budget_thousand_yen=n, actual_thousand_yen=n)
    major = DxLine.objects.create(field=field, order=1, major_no=1, title="大項目", budget_thousand_yen=n)
    minor = DxLine.objects.create(field=field, order=2, major_no=1, minor_no=1, title="小項目", budget_thousand_yen=n)
    assert major.pk and minor.pk
    systems = InformationSystem.objects.bulk_create(
        [
            InformationSystem(report=report, number=i + 1, section=sections[i % len(sections)], name=f"合成システム{i}")
            for i in range(n)
        ]
    )
    SystemBudget.objects.bulk_create([SystemBudget(system=s, fiscal_year=2029, budget_thousand_yen=1) for s in systems])
    projects = DxProject.objects.bulk_create(
        [
            DxProject(report=report, order=i, name=f"合成事業{i}", section=sections[i % len(sections)], line=minor)
            for i in range(n)
        ]
    )
    ProjectFunding.objects.bulk_create(
        [ProjectFunding(project=p, basis="budget", total_thousand_yen=1) for p in projects]
    )
    findings = Finding.objects.bulk_create(
        [
            Finding(
                report=report,
                code=f"意見{i + 1:02d}",
                key=f"意見{i + 1:02d}",
                kind="意見",
                number=i + 1,
                order=i + 1,
                area="DX",
                group=group,
                title=f"合成の意見 {i}",
                recommendation="本文" * 50,
                search_text=f"合成の意見 {i}",
            )
            for i in range(n)
        ]
    )
    FindingSubject.objects.bulk_create(
        [FindingSubject(finding=f, order=1, kind="system", system=systems[i]) for i, f in enumerate(findings)]
        + [FindingSubject(finding=f, order=2, kind="project", project=projects[i]) for i, f in enumerate(findings)]
    )
    FindingSection.objects.bulk_create(
        [FindingSection(finding=f, section=sections[i % len(sections)]) for i, f in enumerate(findings)]
    )
    return report


LONG_PARAGRAPH = (
    "令和{y}年度に{x}の実施手順を改め、所管課の担当者と課長が別々の ID で作成と承認を行うよう、システムの権限設定を"
    "変更した。あわせて、操作ログを月 1 回確認し、その記録を 5 年間保存することとした。"
)


def long_measures(report: AuditReport, *, seed: int = 15, low: int = 800, high: int = 2000, sections: int = 12) -> int:
    """Every finding of `report` with one accepted measure report whose text holds `low`–`high` characters
    (every fifth finding with a second section, so that its row carries two such texts); returns the number of
    measures. For the print tests of the 措置状況 and the render benchmark."""
    import random

    from django.utils import timezone

    from auditreg.choices import Role
    from auditreg.models import User
    from findings.management.commands.generate_data import SENTENCES, TOPICS
    from findings.models import Measure, MeasureReport, MeasureStatus
    from findings.status import refresh

    rnd = random.Random(seed)
    sections = list(Section.objects.order_by("bureau__order", "order")[:sections])
    auditor = User.objects.create_user("long_auditor", password=None, role=Role.AUDITOR, last_name="監査")
    staff = User.objects.create_user(
        "long_staff", password=None, role=Role.SECTION_STAFF, section=sections[0], last_name="担当"
    )
    head = User.objects.create_user(
        "long_head", password=None, role=Role.SECTION_HEAD, section=sections[0], last_name="課長"
    )
    statuses = {s.code: s for s in MeasureStatus.objects.all()}
    when = timezone.make_aware(datetime.datetime(2025, 6, 1, 10))
    findings = list(Finding.objects.filter(report=report).order_by("order"))
    measures = []
    for i, f in enumerate(findings):
        for k in range(2 if i % 5 == 4 and len(sections) > 1 else 1):
            measures.append(
                Measure(
                    finding=f,
                    section=sections[(i + k * 5) % len(sections)],
                    status=statuses["in_progress"],
                    assigned_by=auditor,
                    assigned_at=when,
                )
            )
    measures = Measure.objects.bulk_create(measures)

    def text() -> str:
        target = rnd.randint(low, high)
        paragraphs, size = [], 0
        while size < target:
            sentences = [rnd.choice(SENTENCES + [LONG_PARAGRAPH]) for _ in range(rnd.randint(2, 5))]
            paragraph = "".join(s.format(x=rnd.choice(TOPICS), y=rnd.randint(6, 8)) for s in sentences)
            paragraphs.append(paragraph)
            size += len(paragraph) + 1
        return "\n".join(paragraphs)[:target].rstrip()

    reports = MeasureReport.objects.bulk_create(
        [
            MeasureReport(
                measure=m,
                state="accepted",
                status=statuses["done" if j % 3 == 0 else "in_progress"],
                reported_on=datetime.date(2025, 6, 1),
                text=text(),
                completed_on=datetime.date(2025, 6, 1) if j % 3 == 0 else None,
                drafted_by=staff,
                drafted_at=when,
                last_edited_by=staff,
                updated_at=when,
                approved_by=head,
                approved_at=when,
                reviewed_by=auditor,
                reviewed_at=when + datetime.timedelta(days=1),
            )
            for j, m in enumerate(measures)
        ]
    )
    for m, r in zip(measures, reports, strict=True):
        m.status_id, m.accepted_report_id = r.status_id, r.pk
    Measure.objects.bulk_update(measures, ["status", "accepted_report"])
    refresh([f.pk for f in findings])
    return len(measures)
