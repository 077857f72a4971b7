"""The performance work of issue #7, held in place: query bounds locked at two data sizes, and every
figure or label the faster code shows compared with an independent computation (the models' own
querysets, the plain ORM aggregate the page used before, reverse()).

The bounds are bench/run.py's BOUNDS, so that the benchmark at 30,000 findings and these tests
agree on what each page may cost."""

import datetime
import importlib.util
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count, Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from auditreg.choices import Role
from auditreg.models import Bureau, Section
from findings import services, status_report
from findings.choices import ReportState, StatusCode
from findings.filtersets import FindingFilterSet
from findings.models import AuditReport, Finding, FindingGroup, Measure, MeasureReport, MeasureStatus
from findings.selectors import finding_list
from findings.status import label_of
from findings.workflow_selectors import _per_section, awaiting_review, awaiting_review_count, worklist
from findings.workflow_views import _link_measures, _per_section_rows, _report_options
from systems.models import InformationSystem
from tests.factories import bulk_report
from tests.query_counts import count_queries

pytestmark = pytest.mark.django_db


def _bench_bounds() -> dict:
    spec = importlib.util.spec_from_file_location("bench_run", Path(settings.BASE_DIR) / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.BOUNDS


BOUNDS = _bench_bounds()
LIST = reverse("findings:finding_list")
PAST = datetime.date(2025, 4, 30)


def values(code=StatusCode.IN_PROGRESS) -> dict:
    return {
        "status": MeasureStatus.objects.get(code=code),
        "reported_on": datetime.date(2025, 6, 30),
        "text": "対応を進めている。",
        "planned_completion_on": None,
        "completed_on": datetime.date(2025, 6, 1) if code == StatusCode.DONE else None,
        "reason": "",
    }


@pytest.fixture
def people(make_user):
    section = Section.objects.get(bureau__name="都市政策局", name="広報広聴課")
    return {
        "section": section,
        "auditor": make_user("auditor", Role.AUDITOR),
        "staff": make_user("staff", Role.SECTION_STAFF, section, last_name="担当"),
        "head": make_user("head", Role.SECTION_HEAD, section, last_name="課長"),
    }


def assign_and_report(findings, people, *, every_state=True):
    """Assign the findings to the section and drive their measures through every report state."""
    section, auditor, staff, head = people["section"], people["auditor"], people["staff"], people["head"]
    for i, f in enumerate(findings):
        (m,) = services.finding_assign(finding=f, sections=[section], reply_by=PAST, by=auditor)
        kind = i % 5 if every_state else 4
        if kind == 0:
            continue
        code = StatusCode.DONE if kind == 4 and i % 2 else StatusCode.IN_PROGRESS
        r = services.report_save_draft(measure=m, by=staff, values=values(code), version=None)
        if kind == 1:
            continue
        r = services.report_submit(report=r, by=head)
        if kind == 2:
            continue
        if kind == 3:
            services.report_return(report=r, by=auditor, comment="再提出してください。")
            continue
        services.report_accept(report=r, by=auditor)


def grow(people, n=200):
    report = bulk_report(n, code="synthetic-perf")
    assign_and_report(list(report.findings.order_by("order")[:60]), people)
    return report


# -- query bounds at two sizes ------------------------------------------------------------------


def client_for(client, user):
    client.force_login(user)
    return client


def two_sizes(client, people, url, user="auditor"):
    c = client_for(client, people[user])
    c.get(url)  # warm: session, per-process caches
    small, _ = count_queries(c, url)
    grow(people)
    large, response = count_queries(c, url)
    return small, large, response


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("findings_list", LIST),
        ("findings_search", f"{LIST}?q=システム&kind=意見"),
        ("findings_list", f"{LIST}?page=2"),
    ],
)
def test_findings_list_query_bound(client, people, report, name, url):
    assign_and_report(list(Finding.objects.filter(report=report).order_by("order")[:10]), people)
    small, large, response = two_sizes(client, people, url)
    assert len(response.context["page"].object_list) > 0
    assert small == large == BOUNDS[name], (small, large)


def test_findings_filtered_query_bound(client, people, report):
    bureau = people["section"].bureau
    url = f"{LIST}?kind=意見&area=DX&bureau={bureau.pk}"
    small, large, response = two_sizes(client, people, url)
    assert len(response.context["page"].object_list) > 0
    assert small == large == BOUNDS["findings_filtered"]


def test_csv_export_does_not_load_the_filter_options(client, people):
    """The export validates the filters but renders no select box: no option queries."""
    url = reverse("findings:finding_export_csv") + "?kind=意見"
    small, large, _ = two_sizes(client, people, url)
    # session, user, rows, 2 prefetches
    assert small == large == 5


def test_worklist_query_bound(client, people, report):
    assign_and_report(list(Finding.objects.filter(report=report).order_by("order")[:6]), people)
    small, large, response = two_sizes(client, people, reverse("findings:worklist"), user="staff")
    assert len(response.context["measures"]) == 6 + 60
    assert small == large == BOUNDS["worklist"]


def test_dashboard_query_bound(client, people, report):
    assign_and_report(list(Finding.objects.filter(report=report).order_by("order")[:6]), people)
    small, large, response = two_sizes(client, people, reverse("findings:dashboard"))
    assert response.context["overdue"] and response.context["awaiting_review"]
    assert small == large <= BOUNDS["dashboard"]


def test_detail_query_bound(client, people, report):
    finding = Finding.objects.get(report=report, code="指摘01")
    assign_and_report([finding], people, every_state=False)
    url = reverse("findings:finding_detail", args=[finding.pk])
    small, large, _ = two_sizes(client, people, url)
    assert small == large <= BOUNDS["finding_detail"]


def test_status_report_build_query_count_is_fixed(people, report):
    def queries():
        reports = list(AuditReport.objects.all())
        with CaptureQueriesContext(connection) as ctx:
            built = status_report.build(reports=reports, as_of=datetime.date(2099, 1, 1))
        assert len(built.rows) == Finding.objects.count()
        return len(ctx)

    queries()  # warm: the city's settings (the title pattern) are cached per process
    small = queries()
    grow(people)
    assert queries() == small <= 5  # statuses, kinds of finding, findings, measures, latest accepted reports


# -- what the faster code shows, against an independent computation -----------------------------


def rendered_choices(filterset, name):
    return [
        (str(k.value if hasattr(k, "value") else k), str(label))
        for k, label in filterset.form.fields[name].widget.choices
    ]


def model_choices(queryset, empty):
    return [("", empty)] + [(str(o.pk), str(o)) for o in queryset]


def test_filter_options_are_the_models_own(people, make_user):
    grow(people)
    # a bureau without sections and a section of a later period keep their place
    Bureau.objects.create(name="空の局", order=1)
    Section.objects.create(
        bureau=people["section"].bureau, name="広報広聴課", order=0, valid_from=datetime.date(2030, 4, 1)
    )
    fs = finding_list(user=people["auditor"], filterset_class=FindingFilterSet, data=None)
    assert rendered_choices(fs, "report") == model_choices(AuditReport.objects.all(), "すべての報告書")
    assert rendered_choices(fs, "group") == model_choices(FindingGroup.objects.all(), "すべて")
    assert rendered_choices(fs, "bureau") == model_choices(Bureau.objects.all(), "すべての局")
    expected_sections = model_choices(Section.objects.select_related("bureau"), "すべての課")
    assert rendered_choices(fs, "section") == expected_sections
    systems = InformationSystem.objects.filter(finding_subjects__isnull=False).distinct()
    assert rendered_choices(fs, "system") == model_choices(systems, "すべて")
    assert len(expected_sections) > 20 and len(rendered_choices(fs, "system")) > 200


def test_bureau_and_section_filters_match_the_plain_join(people, report):
    """The UNION subquery finds exactly the findings the three-way OR over the joins found."""
    grow(people)
    for bureau in Bureau.objects.all():
        fs = finding_list(user=people["auditor"], filterset_class=FindingFilterSet, data={"bureau": str(bureau.pk)})
        plain = Finding.objects.filter(
            Q(report_sections__section__bureau=bureau)
            | Q(subjects__system__section__bureau=bureau)
            | Q(subjects__project__section__bureau=bureau)
        ).distinct()
        assert sorted(f.pk for f in fs.qs) == sorted(plain.values_list("pk", flat=True)), bureau.name


def test_status_labels_on_the_list_follow_renamed_labels(people, report, auditor_client):
    assign_and_report(list(Finding.objects.filter(report=report).order_by("order")[:10]), people)
    MeasureStatus.objects.filter(code=StatusCode.DONE).update(label="改善済み")
    statuses = list(MeasureStatus.objects.order_by("order"))
    response = auditor_client.get(LIST + f"?report={report.pk}")
    shown = {f.pk: f.status_label for f in response.context["page"]}
    expected = {f.pk: label_of(f.status_code, statuses) for f in Finding.objects.filter(pk__in=shown)}
    assert shown == expected
    assert {"未割当", "改善済み", "未着手", "措置中"} <= set(shown.values())


def test_list_total_is_the_exact_count(auditor_client, people):
    grow(people)
    response = auditor_client.get(LIST)
    assert response.context["total"] == Finding.objects.count()
    assert f"{Finding.objects.count()} 件" in response.content.decode()


def test_list_order_is_fiscal_year_then_report_then_order(auditor_client, people):
    grow(people)
    AuditReport.objects.filter(code="synthetic-perf").update(fiscal_year=2000)  # now the oldest
    expected = list(
        Finding.objects.order_by("report__fiscal_year", "report_id", "order").values_list("pk", flat=True)[:50]
    )
    response = auditor_client.get(LIST)
    assert [f.pk for f in response.context["page"]] == expected
    assert Finding.objects.get(pk=expected[0]).report.code == "synthetic-perf"


def test_per_section_rows_match_the_plain_aggregate(people, report):
    grow(people)
    today = datetime.date(2025, 10, 1)
    statuses = list(MeasureStatus.objects.order_by("order"))
    ours = _per_section(Measure.objects.all(), statuses=statuses, today=today)
    plain = (
        Measure.objects.values("section__bureau__name", "section__bureau__order", "section__name", "section__order")
        .annotate(
            total=Count("pk"),
            done=Count("pk", filter=Q(status__is_done=True)),
            closed=Count("pk", filter=Q(status__is_closed=True)),
            overdue=Count("pk", filter=Q(status__is_closed=False, reply_by__lt=today)),
        )
        .order_by("section__bureau__order", "section__order")
    )
    assert ours == list(plain)
    assert sum(r["overdue"] for r in ours) > 0 and sum(r["total"] for r in ours) == Measure.objects.count()


def test_awaiting_review_matches_the_scoped_reports(people):
    grow(people)
    office = people["auditor"]
    scoped = MeasureReport.objects.filter(state=ReportState.SUBMITTED)
    assert awaiting_review_count(user=office) == scoped.count() > 0
    assert [r.pk for r in awaiting_review(user=office)] == list(
        scoped.order_by("approved_at").values_list("pk", flat=True)[:100]
    )
    # a section user keeps the section's scope (the shortcut is only for users who see every measure)
    staff = people["staff"]
    own = scoped.filter(measure__section=people["section"])
    assert awaiting_review_count(user=staff) == own.count()
    other = Section.objects.exclude(pk=people["section"].pk).first()
    stranger = staff.__class__.objects.create_user(
        "stranger", password="x" * 20, role=Role.SECTION_STAFF, section=other, last_name="他", first_name="課"
    )
    assert awaiting_review_count(user=stranger) == 0


def test_worklist_rows_carry_their_own_section_status_and_open_report(people):
    grow(people)
    staff = people["staff"]
    measures, groups, sections = worklist(user=staff, today=datetime.date(2025, 10, 1))
    for m in measures:
        fresh = Measure.objects.select_related("section", "status", "finding__report").get(pk=m.pk)
        assert (m.section.pk, m.section.bureau.name, m.status.label) == (
            fresh.section.pk,
            fresh.section.bureau.name,
            fresh.status.label,
        )
        assert m.fiscal_year == fresh.finding.report.fiscal_year
        open_report = fresh.reports.filter(state__in=["draft", "submitted", "returned"]).first()
        assert m.open_report == open_report
    assert sections[staff.section_id].bureau.name == "都市政策局"
    assert {g for g, v in groups.items() if v} >= {"returned", "awaiting_approval", "submitted", "overdue"}


def test_measure_links_are_reverse(people):
    grow(people)
    measures, _, _ = worklist(user=people["staff"], today=datetime.date(2025, 10, 1))
    _link_measures(measures)
    assert measures and all(m.detail_url == reverse("findings:measure_detail", args=[m.pk]) for m in measures)


def test_dashboard_report_options(people):
    AuditReport.objects.filter(code="kanazawa-2021-citizen").update(theme="<b>長い" + "あ" * 60)
    reports = list(
        AuditReport.objects.order_by("-fiscal_year", "code").values_list("pk", "code", "fiscal_year", "theme")
    )
    html = _report_options(reports, reports[0])
    assert html.count("<option") == len(reports) and html.count(" selected") == 1
    assert f'value="{reports[0][1]}" selected' in html
    assert escape("令和3年度 <b>長い" + "あ" * 34 + "…") in html  # truncatechars:40, escaped


def test_dashboard_section_rows_are_escaped():
    row = {"section__bureau__name": "<b>局", "section__name": "課&室", "total": 3, "done": 1, "closed": 2, "overdue": 0}
    html = _per_section_rows([row])
    assert html == (
        '<tr><td>&lt;b&gt;局</td><td>課&amp;室</td><td class="num">3</td><td class="num">1</td>'
        '<td class="num">2</td><td class="num">0</td></tr>'
    )
