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
from django.db.models import Count, F, Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from auditreg.choices import Role
from auditreg.models import Bureau, Section
from findings import status_report
from findings.choices import ReportState, StatusCode
from findings.dashboard_selectors import _per_section, awaiting_review, awaiting_review_count
from findings.filtersets import FindingFilterSet
from findings.models import AuditReport, Finding, FindingGroup, Measure, MeasureReport, MeasureStatus
from findings.saved_filters import saved_filter_save
from findings.selectors import finding_list
from findings.status import label_of
from findings.workflow_selectors import worklist
from findings.workflow_views import _link_measures, _per_section_rows, _report_boxes
from systems.models import InformationSystem
from tests.factories import MeasureFactory, ReportFactory, bulk_report
from tests.query_counts import count_queries

pytestmark = pytest.mark.django_db


def _bench_bounds() -> dict:
    spec = importlib.util.spec_from_file_location("bench_run", Path(settings.BASE_DIR) / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.BOUNDS


BOUNDS = _bench_bounds()
# the list pages' counts (issue #16.2: the subjects ride in the sections' UNION, one query less than
# BOUNDS until bench/run.py's BOUNDS and bench/queries-30000.json are brought down to them)
LIST_QUERIES = {"findings_list": 7, "findings_search": 7, "findings_filtered": 9, "findings_followup": 13}
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
    states = [None, "draft", "submitted", "returned", "accepted"]
    for i, f in enumerate(findings):
        m = MeasureFactory(finding=f, section=section, reply_by=PAST, by=auditor)
        kind = i % 5 if every_state else 4
        if kind == 0:
            continue
        code = StatusCode.DONE if kind == 4 and i % 2 else StatusCode.IN_PROGRESS
        comment = "再提出してください。" if kind == 3 else ""
        ReportFactory(
            measure=m,
            by=staff,
            state=states[kind],
            approver=head,
            reviewer=auditor,
            comment=comment,
            values=values(code),
        )


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
    warm = c.get(url)  # warm: session, per-process caches (a streamed export reads them as it streams)
    b"".join(getattr(warm, "streaming_content", []))
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
def test_findings_list_query_bound(client, people, report, name, url, make_user):
    assign_and_report(list(Finding.objects.filter(report=report).order_by("order")[:10]), people)
    # saved filters (own and another office user's shared one) are listed by one query whatever their number
    other = make_user("auditor-other", Role.AUDITOR)
    for user, filter_name, shared in ((people["auditor"], "期限超過", False), (other, "共有", True)):
        saved_filter_save(user=user, name=filter_name, query="overdue=1", shared=shared)
    small, large, response = two_sizes(client, people, url)
    assert len(response.context["page"].object_list) > 0
    assert small == large == LIST_QUERIES[name] <= BOUNDS[name], (small, large)


def test_findings_filtered_query_bound(client, people, report):
    bureau = people["section"].bureau
    url = f"{LIST}?kind=意見&area=DX&bureau={bureau.pk}"
    small, large, response = two_sizes(client, people, url)
    assert len(response.context["page"].object_list) > 0
    assert small == large == LIST_QUERIES["findings_filtered"] <= BOUNDS["findings_filtered"]


def test_findings_followup_query_bound(client, people, report):
    """Every follow-up filter at once (issue 14), in the organisation's order, at two data sizes."""
    assign_and_report(list(Finding.objects.filter(report=report).order_by("order")[:10]), people)
    section = people["section"]
    url = (
        f"{LIST}?report={report.pk}&bureau={section.bureau_id}&section={section.pk}&status=open&overdue=1"
        "&due_from=2025-01-01&due_to=令和7年12月31日&sort=organisation"
    )
    small, large, response = two_sizes(client, people, url)
    rows = response.context["page"].object_list
    assert rows and all(f.is_overdue for f in rows)
    assert small == large == LIST_QUERIES["findings_followup"] <= BOUNDS["findings_followup"], (small, large)


def test_csv_export_does_not_load_the_filter_options(client, people):
    """The export validates the filters but renders no select box: no option queries."""
    url = reverse("findings:finding_export_csv") + "?kind=意見"
    small, large, _ = two_sizes(client, people, url)
    # session, user, rows, 2 prefetches (the kind is checked against the city's kinds, cached per process)
    assert small == large == 5


def test_worklist_query_bound(client, people, report):
    assign_and_report(list(Finding.objects.filter(report=report).order_by("order")[:6]), people)
    small, large, response = two_sizes(client, people, reverse("findings:worklist"), user="staff")
    assert len(response.context["measures"]) == 6 + 60
    assert small == large == BOUNDS["worklist"]


def test_dashboard_query_bound(client, people, report, settings):
    # the page as drawn (its repeat, kept by findings.dashboard_cache: tests/findings/test_dashboard_cache.py)
    settings.CACHES = {**settings.CACHES, "dashboard": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
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
    assert queries() == small <= 6  # statuses, kinds of finding, findings, measures, hand-overs, latest reports


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
    assert rendered_choices(fs, "bureau") == model_choices(Bureau.objects.all(), "すべての局")
    # the 見出し and systems follow the chosen report, the sections the chosen 局: none until chosen
    assert rendered_choices(fs, "group") == [("", "すべて（報告書を選ぶと選べます）")]
    assert rendered_choices(fs, "system") == [("", "すべて（報告書を選ぶと選べます）")]
    assert rendered_choices(fs, "section") == [("", "すべての課（局を選ぶと選べます）")]
    # 未割当, each status, 未完了 (after the empty option)
    statuses = [("", "すべての状況"), ("unassigned", "未割当")]
    statuses += [(s.code, s.label) for s in MeasureStatus.objects.order_by("order")]
    assert rendered_choices(fs, "status") == [*statuses, ("open", "未完了（完了していないもの）")]
    html = fs.form.as_div()
    fixed = sum(len(rendered_choices(fs, name)) for name in ("kind", "area", "status", "overdue", "sort"))
    assert html.count("<option") == fixed + 2 + AuditReport.objects.count() + Bureau.objects.count() + 3


def test_filter_options_follow_the_chosen_report_and_bureau(people, report):
    synthetic = grow(people)
    bureau = people["section"].bureau
    data = {"report": str(report.pk), "bureau": str(bureau.pk)}
    fs = finding_list(user=people["auditor"], filterset_class=FindingFilterSet, data=data)
    assert rendered_choices(fs, "group") == model_choices(FindingGroup.objects.filter(report=report), "すべて")
    systems = InformationSystem.objects.filter(report=report, finding_subjects__isnull=False).distinct()
    assert rendered_choices(fs, "system") == model_choices(systems, "すべて")
    assert len(rendered_choices(fs, "system")) > 5
    sections = Section.objects.filter(bureau=bureau).select_related("bureau")
    assert rendered_choices(fs, "section") == model_choices(sections, "すべての課")
    # a submitted 見出し stays selectable without its report, and nothing of another report comes along
    other = FindingGroup.objects.filter(report=synthetic).first()
    fs = finding_list(user=people["auditor"], filterset_class=FindingFilterSet, data={"group": str(other.pk)})
    assert rendered_choices(fs, "group") == [("", "すべて（報告書を選ぶと選べます）"), (str(other.pk), str(other))]
    assert f'value="{other.pk}" selected' in fs.form.as_div()
    # garbage in the query string: no options, no error
    fs = finding_list(user=people["auditor"], filterset_class=FindingFilterSet, data={"report": "x", "group": "y"})
    assert rendered_choices(fs, "group") == [("", "すべて（報告書を選ぶと選べます）")]
    for garbage in ("9" * 30, "１", "-1", " 1"):  # too large for the database, full-width, signed, spaced
        data = {"report": garbage, "group": garbage, "section": garbage}
        fs = finding_list(user=people["auditor"], filterset_class=FindingFilterSet, data=data)
        assert rendered_choices(fs, "group") == [("", "すべて（報告書を選ぶと選べます）")]


def test_bureau_and_section_filters_match_the_plain_join(people, report):
    """The UNION subquery finds exactly the findings the plain joins find: those assigned to the 局
    (a measure), and those not assigned yet that the report names for it (three-way OR)."""
    grow(people)
    for bureau in Bureau.objects.all():
        fs = finding_list(user=people["auditor"], filterset_class=FindingFilterSet, data={"bureau": str(bureau.pk)})
        plain = Finding.objects.filter(
            Q(measures__section__bureau=bureau)
            | Q(measures=None)
            & (
                Q(report_sections__section__bureau=bureau)
                | Q(subjects__system__section__bureau=bureau)
                | Q(subjects__project__section__bureau=bureau)
            )
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


def test_list_order_is_newest_report_first_then_report_order(auditor_client, people):
    grow(people)
    AuditReport.objects.filter(code="synthetic-perf").update(fiscal_year=2099)  # now the newest
    expected = list(
        Finding.objects.order_by("-report__fiscal_year", "-report_id", "order").values_list("pk", flat=True)[:50]
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
        Measure.objects.values(
            "section_id", "section__bureau__name", "section__bureau__order", "section__name", "section__order"
        )
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
    assert [r["pk"] for r in awaiting_review(user=office)] == list(
        scoped.order_by("approved_at").values_list("pk", flat=True)[:100]
    )
    assert len(awaiting_review(user=office)) == min(100, scoped.count())
    # a section user keeps the section's scope (the shortcut is only for users who see every measure)
    staff = people["staff"]
    own = scoped.filter(measure__section=people["section"])
    assert awaiting_review_count(user=staff) == own.count()
    assert {r["pk"] for r in awaiting_review(user=staff)} <= set(own.values_list("pk", flat=True))
    other = Section.objects.exclude(pk=people["section"].pk).first()
    stranger = staff.__class__.objects.create_user(
        "stranger", password="x" * 20, role=Role.SECTION_STAFF, section=other, last_name="他", first_name="課"
    )
    assert awaiting_review_count(user=stranger) == 0


def test_worklist_rows_carry_their_own_section_status_and_open_report(people):
    grow(people)
    staff = people["staff"]
    page, groups, sections = worklist(user=staff, today=datetime.date(2025, 10, 1))
    shown = list(page.object_list) + [m for g in groups.values() for m in g["rows"]]
    assert shown
    for m in shown:
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
    assert {g for g, v in groups.items() if v["rows"]} >= {"returned", "awaiting_approval", "submitted", "overdue"}


def _groups_in_python(user, today, due_days=14):
    """The work list's grouping as the page did it before (every measure loaded, classified in Python)."""
    measures = list(
        Measure.objects.filter(section=user.section)
        .select_related("status", "finding")
        .order_by(F("reply_by").asc(nulls_last=True), "finding__report_id", "finding__order", "pk")
    )
    groups = {}
    for m in measures:
        report = m.reports.filter(state__in=["draft", "submitted", "returned"]).first()
        state = report.state if report else None
        first = {"returned": "returned", "draft": "awaiting_approval", "submitted": "submitted"}.get(state)
        if m.status.is_closed:
            second = "closed"
        elif m.reply_by and m.reply_by < today and state != "submitted":
            second = "overdue"
        elif m.reply_by and m.reply_by <= today + datetime.timedelta(days=due_days) and state is None:
            second = "due_soon"
        elif state is None:
            second = "to_do"
        else:
            second = None
        for name in (first, second):
            if name:
                groups.setdefault(name, []).append(m.pk)
    return measures, groups


@pytest.mark.parametrize("limit", [2, 50])
def test_worklist_groups_and_page_equal_a_classification_in_python(people, monkeypatch, limit):
    """The SQL grouping (window functions, first `limit` of each group) and the SQL page give the same
    measures, order and counts as classifying every measure in Python."""
    from findings import workflow_selectors

    grow(people)
    monkeypatch.setattr(workflow_selectors, "GROUP_LIMIT", limit)
    monkeypatch.setattr(workflow_selectors, "WORKLIST_PAGE_SIZE", 7)
    staff, today = people["staff"], datetime.date(2025, 10, 1)
    measures, expected = _groups_in_python(staff, today)
    page, groups, _ = worklist(user=staff, today=today, page=2)
    assert page.paginator.count == len(measures)
    assert [m.pk for m in page.object_list] == [m.pk for m in measures[7:14]]
    assert len({name for name, pks in expected.items() if len(pks) > limit}) >= 1 or limit == 50
    for name, group in groups.items():
        assert group["count"] == len(expected.get(name, [])), name
        assert [m.pk for m in group["rows"]] == expected.get(name, [])[:limit], name


def test_measure_links_are_reverse(people):
    grow(people)
    page, groups, _ = worklist(user=people["staff"], today=datetime.date(2025, 10, 1))
    measures = list(page.object_list) + [m for g in groups.values() for m in g["rows"]]
    _link_measures(measures)
    assert measures and all(m.detail_url == reverse("findings:measure_detail", args=[m.pk]) for m in measures)


def test_dashboard_report_boxes(people):
    """One checkbox per report, value its code (the ?report= links and the cache key), escaped."""
    AuditReport.objects.filter(code="kanazawa-2021-citizen").update(theme="<b>長い" + "あ" * 60)
    reports = list(
        AuditReport.objects.order_by("-fiscal_year", "code").values_list("pk", "code", "fiscal_year", "theme")
    )
    html = _report_boxes(reports, [reports[0]])
    assert "<select" not in html and "<option" not in html
    assert html.count('type="checkbox" name="report"') == len(reports) and html.count(" checked") == 1
    assert f'value="{reports[0][1]}" id="id_report_0" data-pick checked><label for="id_report_0">' in html
    assert escape("令和3年度 <b>長い" + "あ" * 34 + "…") in html  # truncatechars:40, escaped
    assert "<b>" not in html


def test_dashboard_section_rows_are_escaped():
    row = {"section__bureau__name": "<b>局", "section__name": "課&室", "total": 3, "done": 1, "closed": 2, "overdue": 0}
    html = _per_section_rows([row])
    assert html == (
        '<tr><td>&lt;b&gt;局</td><td>課&amp;室</td><td class="num">3</td><td class="num">1</td>'
        '<td class="num">2</td><td class="num">0</td></tr>'
    )


def test_dashboard_rows_built_in_python_are_escaped_and_link_with_reverse():
    from findings.workflow_views import _awaiting_rows, _overdue_rows

    overdue = _overdue_rows(
        [
            {
                "pk": 7,
                "reply_by": datetime.date(2025, 4, 30),
                "code": "<i>意見01",
                "title": "a&b",
                "fiscal_year": 2024,
                "section_name": "<課>",
                "status_label": "措置中",
                "open_report": {
                    "state": ReportState.RETURNED,
                    "last_edited_by__last_name": "<s>",
                    "last_edited_by__first_name": "",
                    "last_edited_by__username": "u",
                },
            },
            {"pk": 8, "reply_by": None, "code": "x", "title": "", "fiscal_year": 2024, "section_name": ""}
            | {"status_label": "", "open_report": None},
        ]
    )
    assert f'href="{reverse("findings:measure_detail", args=[7])}"' in overdue
    assert "&lt;i&gt;意見01" in overdue and "a&amp;b" in overdue and "&lt;課&gt;" in overdue
    assert "差戻し（&lt;s&gt;）" in overdue and "令和7年4月30日" in overdue and "令和6年度" in overdue
    assert '<td class="nowrap">—</td>' in overdue and "<td>—</td>" in overdue
    awaiting = _awaiting_rows(
        [
            {
                "measure_id": 9,
                "code": "<b>",
                "bureau": "局",
                "section_name": "課",
                "status_label": "措置済",
                "approved_at": None,
                "approver_last": "",
                "approver_first": "",
                "approver_username": None,
            }
        ]
    )
    assert f'href="{reverse("findings:measure_detail", args=[9])}"' in awaiting and "&lt;b&gt;" in awaiting
