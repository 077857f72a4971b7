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
