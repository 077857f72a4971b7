"""Synthetic data on top of the real report, for tests that need more rows (query bounds)."""

import datetime

import factory

from auditreg.models import Bureau, Section
from budgets.models import DxField, DxLine, DxProject, ProjectFunding
from findings.models import AuditReport, Finding, FindingGroup, FindingSection, FindingSubject
from findings.status import recount_findings
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
    recount_findings()  # as an import does: the dashboard's kept counts of findings, now with these
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


# -- workflow states (factory_boy) -------------------------------------------------------------------
# Every state is reached through the services, as the pages reach it: the change log, the measure's
# status and the kept counts are what they would be in real use. A test names the state it needs:
#
#     measure = MeasureFactory(finding=f, section=s, by=auditor)            # assigned (未着手)
#     ReportFactory(measure=measure, by=staff)                               # drafted (作成中)
#     ReportFactory(measure=measure, by=staff, state="submitted", approver=head)
#     ReportFactory(measure=measure, by=staff, state="accepted", approver=head, reviewer=auditor)
#     ReportFactory(measure=measure, by=staff, state="returned", approver=head, reviewer=auditor)
#     ReportFactory(measure=measure, by=staff, state="revising", approver=head)   # 課内差戻し
#
# A ReportFactory on a measure with an open report edits that report (on its current version), as the
# 措置 page does.

REPORTED_ON = datetime.date(2025, 6, 30)


def report_values(code: str = "in_progress", **overrides) -> dict:
    """The values the 措置 form hands to services.report_save_draft, for a status code; 措置済 gets a
    措置年月日 (the services require one)."""
    from findings.models import MeasureStatus

    status = MeasureStatus.objects.get(code=code)
    values = {
        "status": status,
        "reported_on": REPORTED_ON,
        "text": "対応を進めている。",
        "planned_completion_on": None,
        "completed_on": REPORTED_ON if status.is_done else None,
        "reason": "",
    }
    return values | overrides


class UserFactory(factory.django.DjangoModelFactory):
    """A user of a role (auditreg.choices.Role value); section users need a section."""

    class Meta:
        model = "auditreg.User"

    username = factory.Sequence(lambda n: f"f-user{n}")
    role = "auditor"
    section = None
    last_name = "試験"
    first_name = factory.Sequence(lambda n: f"{n}号")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return model_class.objects.create_user(*args, password=kwargs.pop("password", None), **kwargs)


class MeasureFactory(factory.django.DjangoModelFactory):
    """A finding assigned to one more section by the audit office (services.finding_assign): 未着手."""

    class Meta:
        model = "findings.Measure"

    finding = None  # required
    section = None  # required
    reply_by = None
    by = factory.SubFactory(UserFactory, role="auditor")

    @classmethod
    def _create(cls, model_class, *, finding, section, reply_by, by, **kwargs):
        from findings import services

        assigned = list(model_class.objects.filter(finding=finding).select_related("section"))
        wanted = [m.section for m in assigned if m.section_id != section.pk] + [section]
        per_section = {m.section_id: m.reply_by for m in assigned if m.reply_by}
        measures = services.finding_assign(
            finding=finding, sections=wanted, reply_by=reply_by, reply_by_per_section=per_section, by=by
        )
        return next(m for m in measures if m.section_id == section.pk)


class ReportFactory(factory.django.DjangoModelFactory):
    """A measure report brought to `state` through the services: "draft" (saved by `by`), "submitted"
    (approved by `approver`), "accepted" / "returned" (by `reviewer`, with `comment`), "revising"
    (handed back within the section by `approver`, with `comment`). `code` is the status code, `values`
    override report_values() (a test's own values may replace them all, the status included)."""

    class Meta:
        model = "findings.MeasureReport"

    measure = None  # required
    by = None  # the 担当 (or 課長) who saves the draft; required
    state = "draft"
    code = "in_progress"
    text = "対応を進めている。"
    values = factory.Dict({})
    approver = None
    reviewer = None
    comment = "受理します。"

    @classmethod
    def _create(cls, model_class, *, measure, by, state, code, text, values, approver, reviewer, comment, **kwargs):
        from findings import services
        from findings.choices import OPEN_REPORT_STATES

        open_report = model_class.objects.filter(measure=measure, state__in=OPEN_REPORT_STATES).first()
        report = services.report_save_draft(
            measure=measure,
            by=by,
            values=report_values(code, **({"text": text} | values)),
            version=open_report.version if open_report else None,
        )
        if state == "draft":
            return report
        if state == "revising":
            return services.report_section_return(report=report, by=approver, comment=comment or "直してください。")
        report = services.report_submit(report=report, by=approver)
        if state == "submitted":
            return report
        if state == "accepted":
            return services.report_accept(report=report, by=reviewer, comment=comment)
        if state == "returned":
            return services.report_return(report=report, by=reviewer, comment=comment or "再提出してください。")
        raise ValueError(f"unknown report state {state!r}")
