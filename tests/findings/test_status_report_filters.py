"""The 措置状況 (findings.status_report.build) filtered by 局, 課, 区分 and status, over two reports (the
earlier one carried over), as table cells, and its fixed number of queries; from the known dated history
of tests/findings/status_report_helpers.py (see tests/findings/test_status_report.py for the timeline)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from auditreg.choices import Role
from auditreg.models import Bureau, Section
from findings import status_report
from findings.choices import ReportState
from findings.models import AuditReport, Finding, Measure, MeasureReport
from findings.services import finding_assign
from findings.status_report import COLUMNS, build, table_cells

from .status_report_helpers import (
    A_BUREAU,
    A_NAME,
    B_BUREAU,
    B_NAME,
    EARLIER,
    LABELS,
    MAIN,
    TEXT,
    at,
    by_code,
    jst,
    status,
    summary_of,
)

pytestmark = pytest.mark.django_db

# -- filters -----------------------------------------------------------------------------------


def _assert_consistent(built):
    """Every summary figure counts exactly the findings shown in the rows (one per finding)."""
    shown = {}
    for r in built.rows:
        shown.setdefault(r.finding_id, r)
    counts = {(s["kind"], x): c for s in built.summary for x, c in zip(built.labels, s["counts"], strict=True)}
    assert sum(counts.values()) == built.n_findings == len(shown)
    assert built.totals == [sum(counts[(k, x)] for k in ["指摘", "意見"]) for x in built.labels]


def test_filter_by_bureau(history, report):
    bureau_b = Bureau.objects.get(name=B_BUREAU)
    built = build(reports=[report], as_of=datetime.date(2025, 12, 31), bureau=bureau_b)
    assert [r.code for r in built.rows] == ["意見04", "意見01", "意見02", "意見19"]
    assert summary_of(built) == {"指摘": [0, 0, 0, 0, 0, 0], "意見": [0, 1, 1, 1, 0, 1]}
    _assert_consistent(built)
    # per section, only the bureau's own rows
    per_section = build(reports=[report], as_of=datetime.date(2025, 12, 31), per="section", bureau=bureau_b)
    assert [(r.code, r.section) for r in per_section.rows] == [
        ("意見01", B_NAME),
        ("意見02", B_NAME),
        ("意見04", B_NAME),
        ("意見19", B_NAME),
    ]
    _assert_consistent(per_section)


def test_filter_by_section(history, report):
    built = build(reports=[report], as_of=datetime.date(2025, 12, 31), section=history.section_a)
    assert [r.code for r in built.rows] == ["指摘01", "意見04", "意見16"]
    assert summary_of(built) == {"指摘": [0, 0, 0, 0, 1, 0], "意見": [0, 0, 0, 2, 0, 0]}
    assert built.n_done == 1 and built.done_rate == pytest.approx(100 / 3)
    _assert_consistent(built)
    # a section of the same name under another bureau is another section
    other = Section.objects.filter(bureau__name=B_BUREAU).exclude(pk=history.section_b.pk).first()
    assert build(reports=[report], as_of=datetime.date(2025, 12, 31), section=other).rows == []


def test_filter_by_kind(history, report):
    built = build(reports=[report], as_of=datetime.date(2025, 12, 31), kind="指摘")
    assert [r.code for r in built.rows] == ["指摘01", "指摘02", "指摘03"]
    assert summary_of(built) == {"指摘": [2, 0, 0, 0, 1, 0], "意見": [0, 0, 0, 0, 0, 0]}
    assert built.n_findings == 3 and built.done_rate == pytest.approx(100 / 3)
    _assert_consistent(built)


def test_filter_by_status(history, report):
    built = build(reports=[report], as_of=datetime.date(2025, 12, 31), status="措置中")
    assert [r.code for r in built.rows] == ["意見04", "意見16"]
    assert summary_of(built) == {"指摘": [0, 0, 0, 0, 0, 0], "意見": [0, 0, 0, 2, 0, 0]}
    _assert_consistent(built)
    unassigned = build(reports=[report], as_of=datetime.date(2025, 12, 31), status="未割当")
    assert len(unassigned.rows) == 27 and unassigned.totals[0] == 27
    _assert_consistent(unassigned)
    combined = build(reports=[report], as_of=datetime.date(2025, 12, 31), kind="意見", section=history.section_b)
    assert [r.code for r in combined.rows] == ["意見04", "意見01", "意見02", "意見19"]
    _assert_consistent(combined)


def test_status_filter_per_section_keeps_summary_and_rows_consistent(history, report):
    built = build(reports=[report], as_of=datetime.date(2025, 12, 31), per="section", status="措置済")
    assert {r.status for r in built.rows} == {"措置済"}
    # every finding counted in the summary is counted under the status filtered on
    done_column = built.labels.index("措置済")
    assert built.totals[done_column] == built.n_findings


# -- two reports -------------------------------------------------------------------------------


def test_two_reports_carry_the_earlier_one_over(history, report):
    earlier = AuditReport.objects.get(code=EARLIER)
    built = build(reports=[report, earlier], as_of=datetime.date(2025, 12, 31))
    assert len(built.rows) == 35
    assert built.title == "令和6年度包括外部監査の結果に対する措置状況（令和7年12月31日現在）"
    assert [r["code"] for r in built.reports] == [MAIN, EARLIER]
    cells = [table_cells(built, r) for r in built.rows]
    codes = [c[0] for c in cells]
    assert codes[0] == "令和6年度 指摘01"
    assert codes[-2:] == ["令和3年度 意見1", "令和3年度 意見2"]  # unassigned, after this year's
    assert all(c.startswith(("令和6年度 ", "令和3年度 ")) for c in codes)
    assert summary_of(built) == {"指摘": [2, 0, 0, 0, 1, 0], "意見": [27, 1, 1, 2, 0, 1]}
    assert built.n_findings == 35
    # an earlier report's finding assigned to section A sorts after this year's within the section
    earlier_finding = Finding.objects.get(report=earlier, code="意見1")
    with at(jst(2025, 5, 1, 9)):
        finding_assign(finding=earlier_finding, sections=[history.section_a], reply_by=None, by=history.auditor)
    rows = build(reports=[report, earlier], as_of=datetime.date(2025, 12, 31)).rows
    assert [(r.report_code, r.code) for r in rows][:4] == [
        (MAIN, "指摘01"),
        (MAIN, "意見04"),
        (MAIN, "意見16"),
        (EARLIER, "意見1"),
    ]
    # one report alone: codes are not prefixed
    assert table_cells(build(reports=[report], as_of=datetime.date(2025, 12, 31)), rows[0])[0] == "指摘01"


def test_table_cells(history, report):
    built = build(reports=[report], as_of=datetime.date(2025, 12, 31))
    rows = by_code(built)
    assert table_cells(built, rows["指摘01"]) == [
        "指摘01",
        "指摘",
        "80頁",
        Finding.objects.get(report=report, code="指摘01").title,
        f"{A_BUREAU} {A_NAME}",
        TEXT["指摘01/2"],
        "措置済",
        "令和7年12月1日",
    ]
    assert table_cells(built, rows["意見04"])[4] == f"{A_BUREAU} {A_NAME}\n{B_BUREAU} {B_NAME}"
    assert table_cells(built, rows["意見03"])[4:] == [status_report.UNASSIGNED_GROUP, "", "未割当", ""]
    assert len(COLUMNS) == 8


# -- query count -------------------------------------------------------------------------------


def _bulk_measures(report, auditor, staff, head):
    """One measure per finding of a synthetic report, each with two accepted reports and a draft."""
    findings = list(Finding.objects.filter(report=report))
    sections = list(Section.objects.filter(bureau__name=f"合成局{report.code}"))
    in_progress, done = status("in_progress"), status("done")
    when = jst(2025, 5, 1, 9)
    measures = Measure.objects.bulk_create(
        [
            Measure(finding=f, section=sections[i % len(sections)], assigned_by=auditor, assigned_at=when, status=done)
            for i, f in enumerate(findings)
        ]
    )
    common = dict(drafted_by=staff, drafted_at=when, last_edited_by=staff, updated_at=when, reported_on=when.date())
    MeasureReport.objects.bulk_create(
        [
            MeasureReport(
                measure=m,
                state=ReportState.ACCEPTED,
                status=in_progress,
                text="途中",
                approved_by=head,
                reviewed_by=auditor,
                reviewed_at=jst(2025, 6, 1, 10),
                **common,
            )
            for m in measures
        ]
        + [
            MeasureReport(
                measure=m,
                state=ReportState.ACCEPTED,
                status=done,
                text="完了",
                completed_on=datetime.date(2025, 7, 1),
                approved_by=head,
                reviewed_by=auditor,
                reviewed_at=jst(2025, 7, 2, 10),
                **common,
            )
            for m in measures
        ]
    )


@pytest.mark.parametrize("per", ["finding", "section"])
def test_build_makes_a_fixed_number_of_queries(make_user, report, per):
    from auditreg.models import CitySettings
    from tests.factories import bulk_report

    auditor = make_user("q_auditor", Role.AUDITOR)
    CitySettings.current()  # the city's settings are cached per process: read once before counting
    counts = []
    for n in (10, 60):
        synthetic = bulk_report(n, code=f"synthetic{n}")
        section = Section.objects.filter(bureau__name=f"合成局synthetic{n}").first()
        staff = make_user(f"q_staff{n}", Role.SECTION_STAFF, section)
        head = make_user(f"q_head{n}", Role.SECTION_HEAD, section)
        _bulk_measures(synthetic, auditor, staff, head)
        with CaptureQueriesContext(connection) as ctx:
            built = build(reports=[synthetic, report], as_of=datetime.date(2025, 12, 31), per=per)
        counts.append(len(ctx.captured_queries))
        assert len(built.rows) == n + 33
        assert summary_of(built)["意見"][LABELS.index("措置済")] == n
    # statuses, kinds of finding, findings, measures, latest accepted reports
    assert counts[0] == counts[1] <= 6, counts  # + the hand-overs (機構改革) after the date: one query
