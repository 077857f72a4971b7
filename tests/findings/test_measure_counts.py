"""The dashboard's counts kept by the services (findings.models.MeasureCount per section,
BureauFindingCount per 局, FindingStatusCount per 区分 × status and FindingReplyByCount per date, issue
#16): after assignments, unassignments, deadline changes and reports driven through the services, the
kept rows equal a recount of the measures and findings, and the dashboard's 局・課別 rows, 局別 chart,
区分 × 状況 table and overdue ages read from them equal the aggregate over every measure, whatever
today's date."""

import datetime
from collections import Counter
from pathlib import Path

import pytest

from auditreg.models import Section
from findings import services
from findings.dashboard_selectors import (
    _findings_by_bureau,
    _overdue_ages,
    _overdue_ages_from_findings,
    _per_section,
    _per_section_from_counts,
    dashboard,
)
from findings.models import (
    BureauFindingCount,
    Finding,
    FindingBureau,
    FindingReplyByCount,
    FindingStatusCount,
    Measure,
    MeasureCount,
    MeasureStatus,
)
from findings.status import rebuild_counts, recount_findings
from tests.findings.test_perf_pages import grow, people  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def kept() -> Counter:
    c = Counter()
    for r in MeasureCount.objects.all():
        c[(r.section_id, r.status_id, r.reply_month)] += r.measures
    return +c


def recount() -> Counter:
    c = Counter()
    for m in Measure.objects.all():
        month = m.reply_by.replace(day=1) if m.reply_by else None
        c[(m.section_id, m.status_id, month)] += 1
    return c


def kept_bureaus() -> Counter:
    return +Counter({(r.bureau_id, r.status_code): r.findings for r in BureauFindingCount.objects.all()})


def recount_bureaus() -> Counter:
    """Findings per (局, status), each finding once per 局 it has a measure in, from the models in Python."""
    pairs = {
        (m.finding_id, m.section.bureau_id, m.finding.status_code)
        for m in Measure.objects.select_related("section", "finding")
    }
    return Counter((bureau, code) for _, bureau, code in pairs)


@pytest.fixture
def history(people):  # noqa: F811
    """grow(): 60 findings assigned and driven through every report state; then a finding assigned
    to two sections and taken back from one, and a deadline moved into another month."""
    report = grow(people)
    auditor, section = people["auditor"], people["section"]
    other = Section.objects.exclude(pk=section.pk).order_by("pk").first()
    spare = report.findings.order_by("-order").first()
    services.finding_assign(finding=spare, sections=[section, other], reply_by=datetime.date(2025, 9, 15), by=auditor)
    assert kept() == recount()
    assert kept_bureaus() == recount_bureaus()
    services.finding_assign(finding=spare, sections=[section], reply_by=datetime.date(2025, 11, 3), by=auditor)
    first = Finding.objects.filter(measures__isnull=False).order_by("pk").first()
    services.finding_assign(finding=first, sections=[section], reply_by=None, by=auditor)
    return people


def test_kept_counts_equal_a_recount(history):
    assert Measure.objects.count() > 60
    assert kept() == recount()
    assert kept_bureaus() == recount_bureaus() and len({code for _, code in kept_bureaus()}) > 1
    before, bureaus_before = kept(), kept_bureaus()
    rebuild_counts()
    assert kept() == before and kept_bureaus() == bureaus_before


def test_bureau_counts_follow_a_finding_leaving_a_bureau_and_changing_status(history):
    """A finding in two 局 taken back to one: counted once less in the 局 it left; its reports accepted
    to 措置済: counted under the new status, and no longer under the old one."""
    auditor, section = history["auditor"], history["section"]
    other = Section.objects.exclude(bureau=section.bureau).order_by("pk").first()
    finding = (
        Finding.objects.filter(measures__isnull=True).order_by("pk").first() or Finding.objects.order_by("-pk").first()
    )
    services.finding_assign(finding=finding, sections=[section, other], reply_by=datetime.date(2026, 1, 5), by=auditor)
    finding.refresh_from_db()
    assert set(FindingBureau.objects.filter(finding=finding).values_list("bureau_id", flat=True)) == {
        section.bureau_id,
        other.bureau_id,
    }
    assert kept_bureaus() == recount_bureaus()
    services.finding_assign(finding=finding, sections=[section], reply_by=datetime.date(2026, 1, 5), by=auditor)
    assert set(FindingBureau.objects.filter(finding=finding).values_list("bureau_id", flat=True)) == {section.bureau_id}
    assert kept_bureaus() == recount_bureaus()


@pytest.mark.parametrize(
    "today",
    [
        datetime.date(2025, 10, 1),  # the first of a month: nothing due this month yet
        datetime.date(2025, 9, 16),  # mid-month: some of this month's deadlines passed
        datetime.date(2025, 4, 30),
        datetime.date(2030, 1, 1),
    ],
)
def test_per_section_rows_from_counts_equal_the_aggregate(history, today):
    statuses = list(MeasureStatus.objects.order_by("order"))
    rows = _per_section_from_counts(statuses=statuses, today=today)
    assert rows == _per_section(Measure.objects.all(), statuses=statuses, today=today)
    assert sum(r["overdue"] for r in rows) == sum(
        1
        for m in Measure.objects.select_related("status")
        if m.reply_by and m.reply_by < today and not m.status.is_closed
    )


def test_dashboard_reads_the_counts_for_every_measure(history):
    today = datetime.date(2025, 9, 16)
    data = dashboard(user=history["auditor"], today=today)
    statuses = list(MeasureStatus.objects.order_by("order"))
    assert data["per_section"] == _per_section(Measure.objects.all(), statuses=statuses, today=today)
    MeasureCount.objects.all().delete()  # proof that the page reads the kept rows
    assert dashboard(user=history["auditor"], today=today)["per_section"] == []


def test_dashboard_reads_the_bureau_counts_for_every_measure(history):
    today = datetime.date(2025, 9, 16)
    statuses = list(MeasureStatus.objects.order_by("order"))
    data = dashboard(user=history["auditor"], today=today)
    assert data["by_bureau"] == _findings_by_bureau(Measure.objects.all(), statuses=statuses)
    assert (
        sum(r["total"] for r in data["by_bureau"]) >= Finding.objects.filter(measures__isnull=False).distinct().count()
    )
    BureauFindingCount.objects.all().delete()  # proof that the page reads the kept rows
    assert dashboard(user=history["auditor"], today=today)["by_bureau"] == []


def open_reply_by_recount() -> dict:
    """Each finding's earliest reply-by date of its open measures, from the models in Python."""
    earliest: dict = {}
    for m in Measure.objects.select_related("status"):
        if not m.status.is_closed and m.reply_by is not None:
            earliest[m.finding_id] = min(m.reply_by, earliest.get(m.finding_id, m.reply_by))
    return earliest


def test_kept_open_reply_by_equals_a_recount(history):
    kept_dates = dict(Finding.objects.exclude(open_reply_by=None).values_list("pk", "open_reply_by"))
    assert kept_dates == open_reply_by_recount() and len(kept_dates) > 10
    Finding.objects.update(open_reply_by=None)
    rebuild_counts()
    assert dict(Finding.objects.exclude(open_reply_by=None).values_list("pk", "open_reply_by")) == kept_dates


@pytest.mark.parametrize(
    "today",
    [datetime.date(2025, 9, 16), datetime.date(2026, 3, 1), datetime.date(2027, 6, 30), datetime.date(2024, 1, 1)],
)
def test_overdue_ages_from_the_findings_equal_the_aggregate_over_the_measures(history, today):
    late = Measure.objects.overdue(today)
    rows = _overdue_ages_from_findings(today=today)
    assert rows == _overdue_ages(late, today=today)
    assert sum(r["n"] for r in rows) == late.values("finding_id").distinct().count()
    assert dashboard(user=history["auditor"], today=today)["overdue_ages"] == rows


def kept_findings() -> tuple[Counter, Counter]:
    kinds = +Counter({(r.kind, r.status_code): r.findings for r in FindingStatusCount.objects.all()})
    dates = +Counter({r.open_reply_by: r.findings for r in FindingReplyByCount.objects.all()})
    return kinds, dates


def recount_findings_in_python() -> tuple[Counter, Counter]:
    """Findings per (区分, status code) and per earliest open reply-by date, from the models in Python."""
    findings = list(Finding.objects.all())
    return (
        Counter((f.kind, f.status_code) for f in findings),
        Counter(open_reply_by_recount().values()),
    )


def test_finding_counts_equal_a_recount(history):
    """After the services' assignments, unassignments, deadline changes and reports (history), and after
    more: a finding's reports accepted to 措置済 and its deadline moved."""
    kinds, dates = kept_findings()
    assert (kinds, dates) == recount_findings_in_python()
    assert len({code for _, code in kinds}) > 2 and sum(kinds.values()) == Finding.objects.count() and len(dates) > 1
    auditor, section = history["auditor"], history["section"]
    finding = Finding.objects.filter(measures__isnull=True).order_by("pk").first()
    services.finding_assign(finding=finding, sections=[section], reply_by=datetime.date(2024, 2, 29), by=auditor)
    services.finding_assign(finding=finding, sections=[section], reply_by=datetime.date(2031, 3, 31), by=auditor)
    assert kept_findings() == recount_findings_in_python()
    recount_findings()
    assert kept_findings() == recount_findings_in_python()
    rebuild_counts()
    assert kept_findings() == recount_findings_in_python()


def test_dashboard_reads_the_finding_counts_for_every_finding(history):
    """The 区分 × 状況 table from the kept rows equals the grouped count over the findings (the chosen
    reports' path, here every report chosen), and is read from those rows."""
    today = datetime.date(2025, 9, 16)
    every = dashboard(user=history["auditor"], today=today)
    chosen = dashboard(
        user=history["auditor"],
        today=today,
        reports=list(Finding.objects.values_list("report_id", flat=True).distinct()),
    )
    assert every["table"] == chosen["table"] and every["n_findings"] == Finding.objects.count() > 60
    assert every["totals"] == chosen["totals"] and every["n_done"] == chosen["n_done"]
    FindingStatusCount.objects.all().delete()  # proof that the page reads the kept rows
    assert dashboard(user=history["auditor"], today=today)["n_findings"] == 0


def test_overdue_ages_are_read_from_the_date_counts(history):
    today = datetime.date(2027, 6, 30)
    assert sum(r["n"] for r in _overdue_ages_from_findings(today=today)) > 0
    FindingReplyByCount.objects.all().delete()  # proof that the page reads the kept rows
    assert sum(r["n"] for r in dashboard(user=history["auditor"], today=today)["overdue_ages"]) == 0


def test_an_import_counts_the_findings_it_creates(db):
    """The real report imported (its findings created past refresh): the kept counts equal a recount."""
    from django.conf import settings

    from findings.bundle.importer import import_report_bundle

    import_report_bundle(Path(settings.REPORT_FIXTURE_DIR))
    kinds, dates = kept_findings()
    assert (kinds, dates) == recount_findings_in_python()
    assert sum(kinds.values()) == Finding.objects.count() and kinds[("指摘", "")] >= 3  # the report's 3 指摘
