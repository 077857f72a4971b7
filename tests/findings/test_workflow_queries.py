"""Query counts of the workflow pages stay fixed as the data grows.

Each test counts the queries of a page on a small data set, then adds a large amount of data around
the very same objects (100+ measures for the section, many reports, evidence files and change-log
entries on the same finding and measure) and counts again: the two counts must be equal and at
most MAX_QUERIES. The small set already holds one of every kind of row the page shows, so that a
prefetch that runs at the large size also runs at the small one."""

import datetime
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from auditreg.choices import Role
from auditreg.models import ChangeLog, Section
from findings import services
from findings.choices import ReportState, StatusCode
from findings.models import Finding, Measure, MeasureReport, MeasureStatus
from tests.factories import ReportFactory, bulk_report
from tests.query_counts import count_queries

pytestmark = [pytest.mark.django_db, pytest.mark.slow]  # builds 100+ measures per test

MAX_QUERIES = 12
# the dashboard's own bound (bench/run.py BOUNDS): its charts add grouped queries of their own
MAX_QUERIES_OF_PAGE = {"dashboard (audit office)": "dashboard"}
PAST = datetime.date(2025, 4, 30)  # before any real today: these measures are overdue
FUTURE = datetime.date(2099, 3, 31)
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
N_BULK = 150  # findings in the synthetic report
N_ASSIGNED = 120  # of which assigned to the section


def status(code) -> MeasureStatus:
    return MeasureStatus.objects.get(code=code)


def values(code=StatusCode.IN_PROGRESS, text="対応を進めている。") -> dict:
    return {
        "status": status(code),
        "reported_on": datetime.date(2025, 6, 30),
        "text": text,
        "planned_completion_on": None,
        "completed_on": datetime.date(2025, 6, 1) if code == StatusCode.DONE else None,
        "reason": "",
    }


@dataclass
class Data:
    section: Section
    other_section: Section
    finding: Finding  # the finding whose detail page is counted
    measure: Measure  # the section's measure of it, whose detail page is counted
    users: dict
    make_user: object
    report: object


# -- building -----------------------------------------------------------------------------------


def draft(measure, by, code=StatusCode.IN_PROGRESS, text="対応を進めている。") -> MeasureReport:
    return ReportFactory(measure=measure, by=by, values=values(code, text))


def edit(report, by, text) -> MeasureReport:
    """The open report saved again by `by` on its current version (the factory edits an open report)."""
    return ReportFactory(measure=report.measure, by=by, values=values(text=text) | {"status": report.status})


def accepted_cycle(measure, staff, head, auditor, code=StatusCode.IN_PROGRESS) -> MeasureReport:
    return ReportFactory(
        measure=measure, by=staff, state="accepted", approver=head, reviewer=auditor, values=values(code)
    )


def evidence(measure, by, name="根拠.pdf"):
    return services.evidence_add(measure=measure, by=by, upload=SimpleUploadedFile(name, PDF))


@pytest.fixture
def data(make_user, report) -> Data:
    """The small set: one of everything each page shows."""
    section = Section.objects.get(bureau__name="都市政策局", name="広報広聴課")
    other_section = Section.objects.get(bureau__name="都市政策局", name="交通政策課")
    u = {
        "auditor": make_user("auditor", Role.AUDITOR, last_name="監査"),
        "staff": make_user("staff", Role.SECTION_STAFF, section, last_name="担当"),
        "staff2": make_user("staff2", Role.SECTION_STAFF, section, last_name="担当二"),
        "head": make_user("head", Role.SECTION_HEAD, section, last_name="課長"),
        "other_staff": make_user("other_staff", Role.SECTION_STAFF, other_section, last_name="他課担当"),
        "other_head": make_user("other_head", Role.SECTION_HEAD, other_section, last_name="他課長"),
    }
    auditor = u["auditor"]
    finding = Finding.objects.get(report=report, code="指摘01")
    services.finding_assign(finding=finding, sections=[section, other_section], reply_by=PAST, by=auditor)
    measure = Measure.objects.get(finding=finding, section=section)
    # the measure: an accepted report, an open draft edited by a second 担当 (so that the 課長 viewing it may
    # approve it: the page runs every check of services.may_approve), one evidence file
    accepted_cycle(measure, u["staff"], u["head"], auditor)
    edit(draft(measure, u["staff"]), u["staff2"], "担当二が補足した。")
    evidence(measure, u["staff"])
    # the other section's measure of the same finding: a report awaiting review
    other = Measure.objects.get(finding=finding, section=other_section)
    services.report_submit(report=draft(other, u["other_staff"]), by=u["other_head"])
    # the section's work list: one measure in each group (returned, submitted, closed, due soon, to do)
    for code, reply_by, state in [
        ("意見16", PAST, ReportState.RETURNED),
        ("意見17", FUTURE, ReportState.SUBMITTED),
        ("意見18", PAST, ReportState.ACCEPTED),
        ("意見03", None, None),
    ]:
        (m,) = services.finding_assign(
            finding=Finding.objects.get(report=report, code=code), sections=[section], reply_by=reply_by, by=auditor
        )
        if state == ReportState.ACCEPTED:
            accepted_cycle(m, u["staff"], u["head"], auditor, StatusCode.DONE)
        elif state is not None:
            r = services.report_submit(report=draft(m, u["staff"]), by=u["head"])
            if state == ReportState.RETURNED:
                services.report_return(report=r, by=auditor, comment="根拠資料を添付してください。")
    return Data(section, other_section, finding, measure, u, make_user, report)


def grow(d: Data) -> None:
    """The large set, around the same finding, measure and section."""
    auditor, staff, staff2, head = d.users["auditor"], d.users["staff"], d.users["staff2"], d.users["head"]
    head2 = d.make_user("head2", Role.SECTION_HEAD, d.section, last_name="課長二")
    before = (Measure.objects.count(), MeasureReport.objects.count(), ChangeLog.objects.count())

    # 1) the same measure: the open draft is approved and accepted, then many more accepted reports,
    #    evidence files and edits; it ends, as before, with a draft of two 担当 that the 課長 may approve
    (open_report,) = d.measure.reports.filter(state=ReportState.DRAFT)
    services.report_accept(report=services.report_submit(report=open_report, by=head2), by=auditor)
    for i in range(12):
        accepted_cycle(d.measure, staff if i % 2 else staff2, head2 if i % 2 else head, auditor)
        evidence(d.measure, staff, f"根拠{i}.pdf")
    report = draft(d.measure, staff2)
    for i in range(10):
        report = edit(report, staff if i % 2 else staff2, f"第{i}版")

    # 2) the same finding: assigned to 15 more sections, each with an accepted report and a draft
    synthetic = bulk_report(N_BULK, code="synthetic-queries")
    sections = list(Section.objects.filter(bureau__name="合成局synthetic-queries").order_by("order"))
    services.finding_assign(
        finding=d.finding, sections=[d.section, d.other_section, *sections], reply_by=PAST, by=auditor
    )
    for i, s in enumerate(sections):
        s_staff = d.make_user(f"s{i}_staff", Role.SECTION_STAFF, s, last_name=f"合成担当{i}")
        s_head = d.make_user(f"s{i}_head", Role.SECTION_HEAD, s, last_name=f"合成課長{i}")
        m = Measure.objects.get(finding=d.finding, section=s)
        accepted_cycle(m, s_staff, s_head, auditor)
        edit(draft(m, s_staff), s_head, "課長が補足した。")

    # 3) the same section: 120 more measures of the synthetic report, in every state
    findings = list(synthetic.findings.order_by("order")[:N_ASSIGNED])
    for i, f in enumerate(findings):
        (m,) = services.finding_assign(finding=f, sections=[d.section], reply_by=PAST if i % 3 else FUTURE, by=auditor)
        kind = i % 6
        if kind == 0:
            continue  # nothing reported yet
        r = draft(m, staff if i % 2 else staff2, StatusCode.DONE if kind == 5 else StatusCode.IN_PROGRESS)
        if kind == 1:
            continue  # a draft awaiting the 課長
        if kind == 2:
            edit(r, head, "課長が補足した。")
            continue
        r = services.report_submit(report=r, by=head2 if i % 2 else head)
        if kind == 3:
            continue  # awaiting review
        if kind == 4:
            services.report_return(report=r, by=auditor, comment="再提出してください。")
            continue
        services.report_accept(report=r, by=auditor)
        evidence(m, staff)

    after = (Measure.objects.count(), MeasureReport.objects.count(), ChangeLog.objects.count())
    assert after[0] - before[0] >= N_ASSIGNED + 15
    assert after[1] - before[1] >= 100
    assert after[2] - before[2] >= 500


# -- the pages ----------------------------------------------------------------------------------


def client_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def pages(d: Data) -> dict:
    """page -> (user, url)"""
    finding = reverse("findings:finding_detail", args=[d.finding.pk])
    measure = reverse("findings:measure_detail", args=[d.measure.pk])
    return {
        "worklist (section staff)": (d.users["staff"], reverse("findings:worklist")),
        "worklist (section head)": (d.users["head"], reverse("findings:worklist")),
        "finding detail (audit office)": (d.users["auditor"], finding),
        "finding detail (section staff)": (d.users["staff"], finding),
        "measure detail (section head)": (d.users["head"], measure),
        "measure detail (audit office)": (d.users["auditor"], measure),
        "dashboard (audit office)": (d.users["auditor"], reverse("findings:dashboard")),
    }


def count(user, url) -> tuple[int, object]:
    client = client_as(user)
    client.get(url)  # warm up: the session and any per-process cache
    return count_queries(client, url)


PAGE_NAMES = [
    "worklist (section staff)",
    "worklist (section head)",
    "finding detail (audit office)",
    "finding detail (section staff)",
    "measure detail (section head)",
    "measure detail (audit office)",
    "dashboard (audit office)",
]


def rows_shown(name: str, response) -> int:
    """How many rows the page lists, to prove the large set is really on the page."""
    ctx = response.context
    if name.startswith("worklist"):
        return len(ctx["measures"])
    if name.startswith("finding detail"):
        return len(ctx["history"]) + sum(len(m.reports.all()) for m in ctx["measures"])
    if name.startswith("measure detail"):
        return len(ctx["measure"].reports.all()) + len(ctx["measure"].evidence.all())
    return len(ctx["overdue"]) + len(ctx["awaiting_review"])


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_query_count_does_not_grow(data, name, settings):
    if name.startswith("dashboard"):  # the page as drawn; its repeat is kept (tests/findings/test_dashboard_cache.py)
        settings.CACHES = {**settings.CACHES, "dashboard": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    user, url = pages(data)[name]
    small, small_response = count(user, url)
    small_rows = rows_shown(name, small_response)

    grow(data)
    large, large_response = count(user, url)
    large_rows = rows_shown(name, large_response)

    assert large_rows > small_rows * 3, (small_rows, large_rows)  # the page really shows the larger set
    from tests.findings.test_perf_pages import BOUNDS

    assert small <= (BOUNDS[MAX_QUERIES_OF_PAGE[name]] if name in MAX_QUERIES_OF_PAGE else MAX_QUERIES), small_response
    assert large == small, f"{name}: {small} queries with {small_rows} rows, {large} with {large_rows}"


def test_the_large_set_is_on_the_pages(data):
    """What the large set puts on each page, so that the counts above are about real rows."""
    grow(data)
    p = pages(data)
    worklist = count(*p["worklist (section staff)"])[1].context
    # 指摘01 and four 意見, plus the synthetic ones; the page lists the first 100 of them
    assert worklist["page"].paginator.count == N_ASSIGNED + 5
    assert len(worklist["measures"]) == min(100, N_ASSIGNED + 5)
    assert {g: v["count"] > 10 for g, v in worklist["groups"].items() if v["count"]} == {
        "returned": True,
        "awaiting_approval": True,
        "submitted": True,
        "closed": True,
        "overdue": True,
        "to_do": True,
    }
    office = count(*p["finding detail (audit office)"])[1].context
    assert len(office["measures"]) == 17  # 広報広聴課, 交通政策課 and 15 synthetic sections
    section = count(*p["finding detail (section staff)"])[1].context
    assert [m.section for m in section["measures"]] == [data.section]
    assert len(section["history"]) < len(office["history"])
    measure = count(*p["measure detail (section head)"])[1].context["measure"]
    assert (len(measure.reports.all()), len(measure.evidence.all())) == (15, 13)
    assert measure.open_report.state == ReportState.DRAFT
