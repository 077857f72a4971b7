"""The dashboard kept between requests (findings.dashboard_cache): after every kind of write, by the services
or past them, the page shown equals both a fresh drawing and a recount of the models made here in Python;
a repeat request costs three queries (session, user, the data's version)."""

import datetime
import re
from collections import Counter

import pytest
from django.db import connection
from django.urls import reverse

from auditreg.models import Bureau, Section
from findings import dashboard_cache, publishing, reorganisation, services, workflow_views
from findings.choices import OPEN_REPORT_STATES, ReportState, StatusCode
from findings.models import DASHBOARD_TABLES, Finding, FindingKindLabel, Measure, MeasureReport, MeasureStatus
from findings.status import UNASSIGNED

from .dashboard_helpers import PAST, TODAY, cells, values

URL = reverse("findings:dashboard")


@pytest.fixture(autouse=True)
def _empty_cache():
    dashboard_cache.forget()
    yield
    dashboard_cache.forget()


@pytest.fixture
def day(monkeypatch):
    """The dashboard's today, settable: day.today = …"""

    class Day:
        today = TODAY

    monkeypatch.setattr(workflow_views, "_today", lambda: Day.today)
    return Day


@pytest.fixture
def auditor(client, office, mix, day):
    client.force_login(office.auditor)
    return client


def get(client, url=URL) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def main(html: str) -> str:
    """The page under its heading, with the charts' per-drawing element ids taken out."""
    body = html.split('<main id="main">', 1)[1].split("</main>", 1)[0]
    return re.sub(r"chart-\d+-(title|desc)", "chart-N-\\1", body)


def fresh(client, url=URL) -> str:
    """The page drawn anew, the cache set aside."""
    dashboard_cache.forget()
    return main(get(client, url))


# -- the recount, from the models, in Python ---------------------------------------------------------


def finding_status(finding, statuses) -> str:
    """The module docstring of findings.status, applied to the finding's measures one by one."""
    ms = [m.status for m in finding.measures.all()]
    if not ms:
        return UNASSIGNED
    if all(s.is_done for s in ms):
        return next(s.label for s in statuses if s.is_done)
    if all(s.is_closed for s in ms):
        return next(s.label for s in statuses if s.is_closed and not s.is_done)
    return min((s for s in ms if not s.is_closed), key=lambda s: s.order).label


def recount(today) -> dict:
    statuses = list(MeasureStatus.objects.order_by("order"))
    labels = [UNASSIGNED] + [s.label for s in statuses]
    kinds = Counter()
    for f in Finding.objects.prefetch_related("measures__status"):
        kinds[(f.kind, finding_status(f, statuses))] += 1
    kind_rows = []
    for k in FindingKindLabel.objects.order_by("order", "code"):
        counts = [kinds[(k.code, label)] for label in labels]
        kind_rows.append([k.label, *map(str, counts), str(sum(counts))])
    sections = {}
    overdue = 0
    for m in Measure.objects.select_related("section__bureau", "status"):
        s = m.section
        row = sections.setdefault((s.bureau.order, s.order, s.bureau.name, s.name), [0, 0, 0, 0])
        late = m.reply_by is not None and m.reply_by < today and not m.status.is_closed
        for i, yes in enumerate((True, m.status.is_done, m.status.is_closed, late)):
            row[i] += yes
        overdue += late
    return {
        "kinds": kind_rows,
        "sections": [[b, s, *map(str, n)] for (_, _, b, s), n in sorted(sections.items())],
        "overdue": overdue,
        "awaiting": MeasureReport.objects.filter(state=ReportState.SUBMITTED).count(),
    }


def assert_shows_the_recount(html: str, today) -> None:
    expected = recount(today)
    assert cells(html, "区分 × 措置状況")[:-1] == expected["kinds"]
    assert cells(html, "局・課別") == expected["sections"]
    assert f"回答期限を過ぎた措置（{expected['overdue']} 件）" in html
    assert f"審査待ちの報告（{expected['awaiting']} 件）" in html


# -- every kind of write -----------------------------------------------------------------------------


def measure_of(code, key, office):
    return Measure.objects.get(
        finding__code=code, finding__report__code="kanazawa-2024-dx", section=office.sections[key]
    )


def open_report(code, key, office):
    return MeasureReport.objects.get(measure=measure_of(code, key, office), state__in=OPEN_REPORT_STATES)


def assign(office, mix, day):
    mix.assign("意見10", "AC", PAST)


def reassign(office, mix, day):  # a section taken off a finding (its counts recounted too)
    finding = Finding.objects.get(report=mix.report, code="指摘03")
    services.finding_assign(finding=finding, sections=[office.sections["C"]], reply_by=PAST, by=office.auditor)


def save_draft(office, mix, day):  # the overdue table's 現在の報告 column
    services.report_save_draft(
        measure=measure_of("指摘03", "B", office),
        by=office.staff["B"],
        values=values(StatusCode.IN_PROGRESS),
        version=None,
    )


def submit(office, mix, day):
    services.report_submit(report=open_report("意見07", "A", office), by=office.head["A"])


def section_return(office, mix, day):  # 課内差戻し of an overdue measure's draft
    save_draft(office, mix, day)
    services.report_section_return(report=open_report("指摘03", "B", office), by=office.head["B"], comment="根拠を追記")


def accept(office, mix, day):
    services.report_accept(report=open_report("意見06", "C", office), by=office.auditor)


def return_(office, mix, day):
    services.report_return(report=open_report("意見06", "C", office), by=office.auditor, comment="根拠資料を添付")


def publish(office, mix, day):
    publishing.publish(
        reports=[mix.report], as_of=TODAY, per="finding", number=1, published_on=TODAY, by=office.auditor,
        allow_same_content=True,
    )  # fmt: skip


def reorganise(office, mix, day):  # 市民課's measures handed over to 交通政策課
    reorganisation.prepare(
        from_section=office.sections["C"], to_sections=[office.sections["B"]], effective_on=TODAY, by=office.auditor,
        today=TODAY,
    )  # fmt: skip


def rename_section(office, mix, day):  # past the services (the admin, raw SQL): the triggers still see it
    Section.objects.filter(pk=office.sections["A"].pk).update(name="広報課")


def rename_bureau(office, mix, day):
    Bureau.objects.filter(pk=office.sections["C"].bureau_id).update(name="市民生活局")


def rename_status(office, mix, day):
    MeasureStatus.objects.filter(code=StatusCode.DONE).update(label="改善済み")


def rename_approver(office, mix, day):  # the 審査待ち table names who approved
    type(office.head["C"]).objects.filter(pk=office.head["C"].pk).update(last_name="改名")


def next_month(office, mix, day):  # no write: 意見04 (due TODAY) becomes overdue
    day.today = TODAY + datetime.timedelta(days=31)


WRITES = [
    assign, reassign, save_draft, submit, section_return, accept, return_, publish, reorganise,
    rename_section, rename_bureau, rename_status, rename_approver, next_month,
]  # fmt: skip


@pytest.mark.parametrize("write", WRITES, ids=[w.__name__.strip("_") for w in WRITES])
def test_the_page_after_a_write_is_the_recount_not_the_cached_page(auditor, office, mix, day, write):
    before = main(get(auditor))
    assert main(get(auditor)) == before  # drawn once, then kept
    write(office, mix, day)
    after = get(auditor)
    assert main(after) != before  # every write above changes something the page shows
    assert_shows_the_recount(after, day.today)
    assert main(after) == fresh(auditor)


def test_what_each_write_changes_is_on_the_page(auditor, office, mix, day):
    """A few of the changes, named: the cache is not merely emptied, the page shows the new state."""
    get(auditor)
    submit(office, mix, day)
    assert "審査待ちの報告（2 件）" in get(auditor)
    accept(office, mix, day)
    assert "審査待ちの報告（1 件）" in get(auditor)
    publish(office, mix, day)
    assert "第1号" in cells(get(auditor), "措置済率の推移")[0][0]
    rename_section(office, mix, day)
    assert "広報課" in [row[1] for row in cells(get(auditor), "局・課別")]
    type(office.head["A"]).objects.filter(pk=office.head["A"].pk).update(last_name="改名")  # approved 意見07
    assert "改名" in get(auditor).split("<h2>審査待ちの報告", 1)[1].split("</table>", 1)[0]


def test_each_report_choice_and_each_day_is_kept_apart(auditor, office, mix, day):
    every = main(get(auditor))
    one = main(get(auditor, URL + "?report=kanazawa-2024-dx"))
    assert one != every and main(get(auditor)) == every
    assert "35 件" in every and "33 件" in one  # 措置済率 … / n 件
    day.today = TODAY + datetime.timedelta(days=1)
    assert "令和7年10月2日現在" in get(auditor)


def test_a_stale_page_is_never_shown_when_the_write_commits_while_it_is_drawn(auditor, office, mix, day, monkeypatch):
    """The version is read before the figures: a page drawn across a write is stored under the version
    read before the write, which no later request reads."""
    build = workflow_views._dashboard_context

    def build_then_write(*args, **kwargs):
        context = build(*args, **kwargs)
        submit(office, mix, day)  # lands after the figures were read
        return context

    monkeypatch.setattr(workflow_views, "_dashboard_context", build_then_write)
    assert "審査待ちの報告（1 件）" in get(auditor)
    monkeypatch.setattr(workflow_views, "_dashboard_context", build)
    assert "審査待ちの報告（2 件）" in get(auditor)


def test_the_version_changes_with_every_dashboard_table_and_not_with_a_login(office, mix):
    """Each table the page reads has its trigger (findings.models.DASHBOARD_TABLES); a login (last_login)
    leaves the version alone."""
    publish(office, mix, None)  # a row in every table
    seen = {dashboard_cache.current_version()}
    with connection.cursor() as cursor:
        for table in DASHBOARD_TABLES:
            cursor.execute(f"UPDATE {table} SET id = id WHERE id = (SELECT MIN(id) FROM {table})")  # noqa: S608
            version = dashboard_cache.current_version()
            assert version not in seen, table
            seen.add(version)
    user = office.auditor
    user.last_login = datetime.datetime(2025, 10, 1, tzinfo=datetime.UTC)
    user.save(update_fields=["last_login"])
    assert dashboard_cache.current_version() in seen


def test_a_repeat_costs_three_queries_and_a_drawing_stays_within_the_bound(auditor, office, mix, day):
    from tests.findings.test_perf_pages import BOUNDS
    from tests.query_counts import count_queries

    drawn, _ = count_queries(auditor, URL)
    kept, response = count_queries(auditor, URL)
    assert kept == 3  # session, user, the version
    assert drawn <= BOUNDS["dashboard"]
    assert response.context["n_findings"] == 35 and response.context["today"] == TODAY


def _no_token(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value=""', html)


def test_the_kept_body_goes_into_the_frame_drawn_for_the_request(auditor):
    """dashboard_cache.render: the frame (menu, account, messages, CSRF token) is drawn for each request and
    the kept body's bytes put where the body goes; the page is the one drawn, and no stand-in is left."""
    drawn = get(auditor)
    kept = get(auditor)
    assert "\x00" not in kept and "dashboard-body-" not in kept
    assert _no_token(kept) == _no_token(drawn)
    assert kept.count('<main id="main">') == 1 and kept.rstrip().endswith("</html>")
    assert kept.index("<h1>") > kept.index('<main id="main">') > kept.index('<nav aria-label="メインメニュー">')
