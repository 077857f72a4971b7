"""The dashboard's per-section counts kept by the services (findings.models.MeasureCount, issue #16):
after assignments, unassignments, deadline changes and reports driven through the services, the kept
rows equal a recount of the measures, and the dashboard's 局・課別 rows read from them equal the
aggregate over every measure, whatever today's date."""

import datetime
from collections import Counter

import pytest

from auditreg.models import Section
from findings import services
from findings.models import Finding, Measure, MeasureCount, MeasureStatus
from findings.status import rebuild_counts
from findings.workflow_selectors import _per_section, _per_section_from_counts, dashboard
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
    services.finding_assign(finding=spare, sections=[section], reply_by=datetime.date(2025, 11, 3), by=auditor)
    first = Finding.objects.filter(measures__isnull=False).order_by("pk").first()
    services.finding_assign(finding=first, sections=[section], reply_by=None, by=auditor)
    return people


def test_kept_counts_equal_a_recount(history):
    assert Measure.objects.count() > 60
    assert kept() == recount()
    before = kept()
    rebuild_counts()
    assert kept() == before


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
