"""The findings list for follow-up (issue 14, point 1): assigned sections, derived status, nearest
reply-by date and overdue, as columns and filters, newest report first or in the organisation's order,
and the CSV export equal to the list. Every expectation is computed independently in Python from the
Measure rows (or from the report, for 意見12 and 指摘01)."""

import csv
import datetime
import io
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from auditreg.choices import Role
from auditreg.models import Section
from findings import services
from findings import status as finding_status
from findings.choices import StatusCode
from findings.models import Finding, Measure, MeasureStatus
from findings.status import annotate_status_parts, derive_code

pytestmark = pytest.mark.django_db

LIST = reverse("findings:finding_list")
CSV = reverse("findings:finding_export_csv")
TODAY = timezone.localdate()
PAST = TODAY - datetime.timedelta(days=30)
YESTERDAY = TODAY - datetime.timedelta(days=1)
SOON = TODAY + datetime.timedelta(days=10)
LATER = TODAY + datetime.timedelta(days=60)


def section(bureau, name):
    return Section.objects.get(bureau__name=bureau, name=name)


@pytest.fixture
def office(make_user):
    return make_user("office1", Role.AUDITOR)


@pytest.fixture
def mix(report, office):
    """Assignments with reply-by dates in the past and the future, some measures closed.
    意見12 names no section; the report names 広報広聴課 for 指摘01, which goes to 交通政策課 instead."""
    koho, kotsu, shimin = (
        section("都市政策局", "広報広聴課"),
        section("都市政策局", "交通政策課"),
        section("市民局", "市民課"),
    )
    f = {f.code: f for f in Finding.objects.filter(report=report)}
    plan = [
        ("意見12", [(koho, PAST, StatusCode.NOT_STARTED)]),  # overdue
        ("指摘01", [(kotsu, SOON, StatusCode.IN_PROGRESS)]),
        ("意見01", [(koho, PAST, StatusCode.DONE), (kotsu, LATER, StatusCode.PLANNED)]),  # done one is not overdue
        ("意見02", [(shimin, YESTERDAY, StatusCode.IN_PROGRESS), (koho, SOON, StatusCode.NOT_STARTED)]),  # overdue
        ("意見03", [(shimin, PAST, StatusCode.NOT_TAKING)]),  # closed: never overdue
        ("意見04", [(koho, None, StatusCode.NOT_STARTED)]),  # no date
        ("意見05", [(koho, TODAY, StatusCode.PLANNED)]),  # due today: not overdue yet
        ("意見06", [(koho, PAST, StatusCode.DONE)]),  # done: not overdue
    ]
    statuses = {s.code: s for s in MeasureStatus.objects.all()}
    for code, rows in plan:
        sections = [s for s, _, _ in rows]
        per = {s.pk: d for s, d, _ in rows if d}
        services.finding_assign(finding=f[code], sections=sections, reply_by=None, reply_by_per_section=per, by=office)
        for s, _, status in rows:
            Measure.objects.filter(finding=f[code], section=s).update(status=statuses[status])
        finding_status.refresh([f[code].pk])
    return f


def codes(response):
    return [f.code for f in response.context["page"]]


def listed(client, query):
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200
    return codes(response)


# -- independent computations over the Measure rows ------------------------------------------------


def measures_by_finding(section_filter=None):
    rows = {}
    for m in Measure.objects.select_related("status", "section__bureau"):
        if section_filter and not section_filter(m.section):
            continue
        rows.setdefault(m.finding_id, []).append(m)
    return rows


def py_overdue(ms):
    return any(m.reply_by and m.reply_by < TODAY and not m.status.is_closed for m in ms)


def py_nearest(ms):
    dates = [m.reply_by for m in ms if m.reply_by and not m.status.is_closed]
    return min(dates) if dates else None


def py_status_codes():
    statuses = list(MeasureStatus.objects.order_by("order"))
    parts = annotate_status_parts(Finding.objects.values("pk")).values(
        "pk", "n_measures", "n_done", "n_closed", "min_open_order"
    )
    return {r.pop("pk"): derive_code(statuses=statuses, **r) for r in parts}


# -- assigned sections ---------------------------------------------------------------------------


def test_assigned_section_filter_finds_iken12(auditor_client, report, mix):
    """意見12 names no section; assigned to 広報広聴課, that filter (and its 局's) finds it."""
    koho = section("都市政策局", "広報広聴課")
    by_section = listed(auditor_client, f"report={report.pk}&section={koho.pk}")
    assert "意見12" in by_section
    assert "意見12" in listed(auditor_client, f"report={report.pk}&bureau={koho.bureau_id}")
    # assigned to 広報広聴課: 意見12, 意見01, 意見02, 意見04, 意見05, 意見06; not assigned yet and named for it by the
    # report: 意見16, 意見17, 意見18 (tests/findings/test_views.py); 指摘01 went to 交通政策課 instead
    assigned = {"意見12", "意見01", "意見02", "意見04", "意見05", "意見06"}
    assert set(by_section) == assigned | {"意見16", "意見17", "意見18"}
    kotsu = section("都市政策局", "交通政策課")
    assert "指摘01" in listed(auditor_client, f"report={report.pk}&section={kotsu.pk}")


def test_assigned_column_shows_the_reports_own_section_where_it_differs(auditor_client, report, mix):
    rows = table_rows(auditor_client.get(f"{LIST}?report={report.pk}").content.decode())
    by_code = {r[0]: r for r in rows}
    assert by_code["指摘01"][5] == "都市政策局 交通政策課報告書記載: 都市政策局 広報広聴課"
    assert by_code["意見12"][5] == "都市政策局 広報広聴課報告書記載: 記載なし"
    assert by_code["意見02"][5] == "都市政策局 広報広聴課市民局 市民課報告書記載: 記載なし"  # organisation order
    assert by_code["意見16"][5].startswith("未割当報告書記載:")


# -- status, overdue, reply-by ------------------------------------------------------------------


def test_status_filter_equals_the_derived_status(auditor_client, report, mix):
    derived = {pk: code for pk, code in py_status_codes().items()}
    ours = {f.pk for f in Finding.objects.filter(report=report)}
    closed = set(MeasureStatus.objects.filter(is_closed=True).values_list("code", flat=True))
    wanted = {s.code: s.code for s in MeasureStatus.objects.all()} | {"unassigned": "", "open": None}
    for param, code in wanted.items():
        response = auditor_client.get(f"{LIST}?report={report.pk}&status={param}")
        got = {f.pk for f in response.context["page"]}
        if param == "open":
            expected = {pk for pk in ours if derived[pk] and derived[pk] not in closed}
        else:
            expected = {pk for pk in ours if derived[pk] == code}
        assert got == expected, param
    # the shown label is the filtered status
    response = auditor_client.get(f"{LIST}?report={report.pk}&status={StatusCode.DONE}")
    done = MeasureStatus.objects.get(code=StatusCode.DONE).label
    # 意見06 only: 意見03 is 措置しない, and 意見01 is done at one of its two sections only
    assert [(f.code, f.status_label) for f in response.context["page"]] == [("意見06", done)]


def test_overdue_and_nearest_reply_by_columns_equal_the_measures(auditor_client, report, mix):
    by_finding = measures_by_finding()
    response = auditor_client.get(f"{LIST}?report={report.pk}")
    for f in response.context["page"]:
        ms = by_finding.get(f.pk, [])
        assert (f.is_overdue, f.nearest_reply_by) == (py_overdue(ms), py_nearest(ms)), f.code
    overdue = set(listed(auditor_client, f"report={report.pk}&overdue=1"))
    assert overdue == {"意見12", "意見02"}
    not_overdue = set(listed(auditor_client, f"report={report.pk}&overdue=0"))
    assert not_overdue == set(Finding.objects.filter(report=report).values_list("code", flat=True)) - overdue


def test_the_overdue_filter_follows_the_chosen_section(auditor_client, report, mix):
    """With a section chosen, its own measures decide: 意見02 is overdue at 市民課, not at 広報広聴課."""
    koho, shimin = section("都市政策局", "広報広聴課"), section("市民局", "市民課")
    assert set(listed(auditor_client, f"section={koho.pk}&overdue=1")) == {"意見12"}
    assert set(listed(auditor_client, f"section={shimin.pk}&overdue=1")) == {"意見02"}
    response = auditor_client.get(f"{LIST}?section={koho.pk}")
    in_section = measures_by_finding(lambda s: s.pk == koho.pk)
    for f in response.context["page"]:
        ms = in_section.get(f.pk, [])
        assert (f.is_overdue, f.nearest_reply_by) == (py_overdue(ms), py_nearest(ms)), f.code


@pytest.mark.parametrize(
    ("due_from", "due_to"),
    [(PAST, YESTERDAY), (TODAY, SOON), (SOON, None), (None, TODAY), (YESTERDAY, LATER)],
)
def test_reply_by_range_is_the_nearest_date_shown(auditor_client, report, mix, due_from, due_to):
    by_finding = measures_by_finding()
    query = f"report={report.pk}"
    query += f"&due_from={due_from.isoformat()}" if due_from else ""
    query += f"&due_to={due_to.isoformat()}" if due_to else ""
    got = set(listed(auditor_client, query))
    expected = set()
    for f in Finding.objects.filter(report=report):
        nearest = py_nearest(by_finding.get(f.pk, []))
        if nearest and (not due_from or nearest >= due_from) and (not due_to or nearest <= due_to):
            expected.add(f.code)
    assert got == expected and got


def test_reply_by_in_wareki_and_an_impossible_date_is_a_message(auditor_client, report, mix):
    shown = f"令和{SOON.year - 2018}年{SOON.month}月{SOON.day}日"
    # 意見02 is due then at 広報広聴課 too, but its nearest date is 市民課's, yesterday
    assert set(listed(auditor_client, f"due_from={shown}&due_to={shown}")) == {"指摘01"}
    response = auditor_client.get(f"{LIST}?due_from=平成35年1月1日")
    assert response.status_code == 200
    assert "平成35年" in str(response.context["filterset"].form.errors["due_from"])


# -- order -----------------------------------------------------------------------------------------


def test_newest_report_first_then_the_reports_order(auditor_client, report):
    shown = listed(auditor_client, "")
    assert shown[0] == "指摘01" and "意見1" not in shown[:33]


def test_organisation_order(auditor_client, report, mix):
    """By the first assigned section (局 order, then the section's place), unassigned findings by the
    first section the report names, those with neither last; then newest report, report order."""
    response = auditor_client.get(f"{LIST}?sort=organisation")
    assigned = measures_by_finding()

    def key(f):
        sections = [m.section for m in assigned.get(f.pk, [])] or [s.section for s in f.report_sections.all()]
        first = min(((s.bureau.order, s.order) for s in sections), default=None)
        return (first is None, first or (0, 0), -f.report.fiscal_year, -f.report_id, f.order)

    everything = sorted(
        Finding.objects.select_related("report").prefetch_related("report_sections__section__bureau"), key=key
    )
    assert [f.pk for f in response.context["page"]] == [f.pk for f in everything[:50]]


# -- section users -------------------------------------------------------------------------------


def test_section_user_sees_only_their_own_measures_in_the_columns_and_filters(client, make_user, report, mix):
    shimin = section("市民局", "市民課")
    client.force_login(make_user("shimin", Role.SECTION_STAFF, shimin))
    response = client.get(f"{LIST}?report={report.pk}")
    rows = {r[0]: r for r in table_rows(response.content.decode())}
    assert rows["意見02"][5].startswith("市民局 市民課")  # 広報広聴課's assignment is not shown
    assert "広報広聴課" not in rows["意見02"][5].split("報告書記載")[0]
    assert rows["意見12"][5].startswith("未割当")  # another section's measure is not in their querysets
    assert set(listed(client, f"report={report.pk}&overdue=1")) == {"意見02"}
    # the status filter keeps to their own findings: another section's current status is not revealed
    # 意見02's status is its least advanced measure's (未着手 at 広報広聴課); 指摘01 (措置中 at 交通政策課) is
    # not theirs, so the filter does not find it
    assert set(listed(client, f"report={report.pk}&status={StatusCode.NOT_STARTED}")) == {"意見02"}
    assert listed(client, f"report={report.pk}&status={StatusCode.IN_PROGRESS}") == []
    assert listed(client, f"report={report.pk}&status=unassigned") == []


# -- CSV = list ---------------------------------------------------------------------------------


class _Cells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self._row, self._cell = [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._row = []
        elif tag == "td" and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def table_rows(html):
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    parser = _Cells()
    parser.feed(body)
    return parser.rows


def read_csv(response):
    body = b"".join(response.streaming_content).decode("utf-8").removeprefix("\ufeff")
    return list(csv.reader(io.StringIO(body)))


@pytest.mark.parametrize(
    "query",
    [
        "",
        "sort=organisation",
        "overdue=1",
        "status=open&due_to=2099-12-31",
        "bureau={bureau}&status=not_started",
    ],
)
def test_csv_equals_the_list(auditor_client, report, mix, query):
    query = query.format(bureau=section("都市政策局", "広報広聴課").bureau_id)
    shown = table_rows(auditor_client.get(f"{LIST}?{query}").content.decode())
    exported = read_csv(auditor_client.get(f"{CSV}?{query}"))
    header, exported = exported[0], exported[1 : len(shown) + 1]  # the list's first page
    col = {name: header.index(name) for name in header}
    assert [r[0] for r in shown] == [r[col["番号"]] for r in exported]
    for page_row, csv_row in zip(shown, exported, strict=True):
        assigned = csv_row[col["所管課（割当）"]].replace("、", "") or "未割当"
        assert page_row[5].startswith(assigned), page_row
        assert page_row[7].startswith(csv_row[col["措置状況"]])
        assert page_row[8] == (csv_row[col["回答期限（最も近い）"]] or "—")
        assert page_row[9] == csv_row[col["期限超過"]]
