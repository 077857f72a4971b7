"""The 措置状況 as of a date (findings.status_report.build), from a known dated history: the
history as of dates, rows per finding and per section and their order, summary, rate and title.

The history (tests/findings/status_report_helpers.py; the fixture is in conftest.py) is written
through the workflow services with the clock set, so that every expected value in this module and in
test_status_report_filters.py can be read off the timeline (the numbers are typed, not computed
by the code under test):

  section A = 都市政策局 広報広聴課 (局 order 1, 課 order 3)
  section B = 総務局 デジタル行政戦略課 (局 order 2, 課 order 3)

  2025-05-01  assign 指摘01→A, 意見19→B, 意見04→A+B, 意見01→B, 意見02→B
  2025-06-10  指摘01/A 措置中 accepted
  2025-06-15  意見04/B 措置中 accepted
  2025-06-20  意見19/B 措置予定・検討中 accepted
  2025-07-01  意見01/B 措置中 drafted, never submitted                    (draft: never counts)
  2025-08-01  assign 意見16→A                                               (after 06-30: 未割当 then)
  2025-08-20  意見16/A 措置中 accepted
  2025-09-10  意見04/A 措置済 (completed 2025-09-01) accepted
  2025-11-01  意見02/B 措置しない accepted
  2025-11-10  意見04/B 措置済 submitted 11-05, returned 11-10, redrafted  (returned/draft: never count)
  2025-12-10  指摘01/A 措置済 (completed 2025-12-01) accepted
  2025-12-20  意見16/A 措置済 submitted, not reviewed                        (submitted: never counts)
  2026-01-01 00:30 JST  意見19/B 措置中 accepted                            (just after 12-31 ends)
"""

import datetime

import pytest

from auditreg.models import Bureau, Section
from findings import status_report
from findings.models import Finding, Measure, MeasureStatus
from findings.status_report import build

from .status_report_helpers import A_BUREAU, A_NAME, B_BUREAU, B_NAME, LABELS, MAIN, TEXT, by_code, jst, summary_of

pytestmark = pytest.mark.django_db

# -- the history, as of dates ------------------------------------------------------------------


def test_history_was_written_as_intended(history):
    """The setup itself: what each report ended as (so the tests below rest on a known timeline)."""
    states = {
        key: list(m.reports.order_by("pk").values_list("state", "status__code"))
        for key, m in sorted(history.measures.items())
    }
    assert states == {
        "意見01/B": [("draft", "in_progress")],
        "意見02/B": [("accepted", "not_taking")],
        "意見04/A": [("accepted", "done")],
        "意見04/B": [("accepted", "in_progress"), ("draft", "done")],
        "意見16/A": [("accepted", "in_progress"), ("submitted", "done")],
        "意見19/B": [("accepted", "planned"), ("accepted", "in_progress")],
        "指摘01/A": [("accepted", "in_progress"), ("accepted", "done")],
    }
    # the live state (not as of a date) has 意見19 措置中: the report accepted on 2026-01-01
    assert Measure.objects.get(pk=history.measures["意見19/B"].pk).status.code == "in_progress"


def test_as_of_end_of_2025(history, report):
    built = build(reports=[report], as_of=datetime.date(2025, 12, 31))
    rows = by_code(built)
    assert len(built.rows) == 33
    assert {c: rows[c].status for c in ["指摘01", "意見04", "意見16", "意見01", "意見02", "意見19"]} == {
        "指摘01": "措置済",
        "意見04": "措置中",  # A 措置済, B 措置中: its returned 措置済 report never counts
        "意見16": "措置中",  # its submitted 措置済 report awaits review
        "意見01": "未着手",  # a draft only
        "意見02": "措置しない",
        "意見19": "措置予定・検討中",  # its 措置中 report was accepted at 00:30 on 2026-01-01
    }
    assert rows["指摘01"].completed_on == "2025-12-01"
    assert rows["指摘01"].text == TEXT["指摘01/2"]
    assert rows["意見19"].text == TEXT["意見19/1"]
    assert rows["意見04"].completed_on == ""  # not done as a finding
    assert rows["意見04"].text == f"【{A_NAME}】{TEXT['意見04/A']}\n【{B_NAME}】{TEXT['意見04/B']}"
    assert rows["意見04"].bureau == f"{A_BUREAU}\n{B_BUREAU}"
    assert rows["意見04"].section == f"{A_NAME}\n{B_NAME}"
    assert rows["意見01"].text == ""  # the draft's text is not published
    assert rows["指摘02"].status == "未割当" and rows["指摘02"].section == ""
    assert built.per == "finding" and built.as_of == "2025-12-31"


def test_as_of_mid_2025_ignores_later_reports_and_assignments(history, report):
    built = build(reports=[report], as_of=datetime.date(2025, 6, 30))
    rows = by_code(built)
    assert len(built.rows) == 33
    assert {c: rows[c].status for c in ["指摘01", "意見04", "意見16", "意見01", "意見02", "意見19"]} == {
        "指摘01": "措置中",  # 措置済 was accepted in December
        "意見04": "未着手",  # A had nothing accepted yet; B 措置中
        "意見16": "未割当",  # assigned on 2025-08-01
        "意見01": "未着手",
        "意見02": "未着手",
        "意見19": "措置予定・検討中",
    }
    assert rows["指摘01"].text == TEXT["指摘01/1"] and rows["指摘01"].completed_on == ""
    assert rows["意見16"].section == "" and rows["意見16"].bureau == status_report.UNASSIGNED_GROUP
    assert summary_of(built) == {
        #        未割当 未着手 検討中 措置中 措置済 措置しない
        "指摘": [2, 0, 0, 1, 0, 0],
        "意見": [26, 3, 1, 0, 0, 0],
    }
    assert built.n_done == 0 and built.done_rate == 0


def test_the_day_boundary_is_the_end_of_the_day_in_japan(history, report):
    """Accepted at 00:30 JST on 1 January (still 31 December in UTC): not part of the 31st."""
    assert by_code(build(reports=[report], as_of=datetime.date(2025, 12, 31)))["意見19"].status == "措置予定・検討中"
    on_new_year = by_code(build(reports=[report], as_of=datetime.date(2026, 1, 1)))["意見19"]
    assert on_new_year.status == "措置中" and on_new_year.text == TEXT["意見19/2"]
    # accepted at 15:00 on 2025-06-10: counts for that very day, not the day before
    assert by_code(build(reports=[report], as_of=datetime.date(2025, 6, 9)))["指摘01"].status == "未着手"
    assert by_code(build(reports=[report], as_of=datetime.date(2025, 6, 10)))["指摘01"].status == "措置中"
    # assigned at 09:00 on 2025-05-01
    assert by_code(build(reports=[report], as_of=datetime.date(2025, 4, 30)))["指摘01"].status == "未割当"
    assert by_code(build(reports=[report], as_of=datetime.date(2025, 5, 1)))["指摘01"].status == "未着手"


def test_before_any_assignment_everything_is_unassigned(history, report):
    built = build(reports=[report], as_of=datetime.date(2025, 4, 11))
    assert {r.status for r in built.rows} == {"未割当"}
    assert summary_of(built) == {"指摘": [3, 0, 0, 0, 0, 0], "意見": [30, 0, 0, 0, 0, 0]}
    assert built.done_rate == 0


def test_submitted_and_returned_reports_never_count_even_long_after(history, report):
    """意見04/B (returned, then redrafted) and 意見16/A (submitted) stay at their accepted state."""
    built = build(reports=[report], as_of=datetime.date(2030, 1, 1), per="section")
    states = {(r.code, r.section): (r.status, r.text) for r in built.rows if r.section}
    assert states[("意見04", B_NAME)] == ("措置中", TEXT["意見04/B"])
    assert states[("意見16", A_NAME)] == ("措置中", TEXT["意見16/1"])
    assert states[("意見01", B_NAME)] == ("未着手", "")


# -- rows per finding / per section, and their order -------------------------------------------


def test_per_section_rows(history, report):
    built = build(reports=[report], as_of=datetime.date(2025, 12, 31), per="section")
    # 7 measures (意見04 has two) + 27 findings never assigned
    assert len(built.rows) == 34
    assigned = [(r.code, r.bureau, r.section, r.status, r.completed_on) for r in built.rows if r.section]
    assert assigned == [
        ("指摘01", A_BUREAU, A_NAME, "措置済", "2025-12-01"),
        ("意見04", A_BUREAU, A_NAME, "措置済", "2025-09-01"),
        ("意見16", A_BUREAU, A_NAME, "措置中", ""),
        ("意見01", B_BUREAU, B_NAME, "未着手", ""),
        ("意見02", B_BUREAU, B_NAME, "措置しない", ""),
        ("意見04", B_BUREAU, B_NAME, "措置中", ""),
        ("意見19", B_BUREAU, B_NAME, "措置予定・検討中", ""),
    ]
    # one finding, two sections, two different states; its texts are not prefixed per section
    texts = {r.section: r.text for r in built.rows if r.code == "意見04"}
    assert texts == {A_NAME: TEXT["意見04/A"], B_NAME: TEXT["意見04/B"]}
    # the summary still counts findings, not rows
    assert sum(s["total"] for s in built.summary) == built.n_findings == 33
    # as of mid-2025 意見16 was not assigned yet: 6 measure rows + 27 + 意見16
    assert len(build(reports=[report], as_of=datetime.date(2025, 6, 30), per="section").rows) == 6 + 28


def test_rows_follow_the_organisation_order_with_unassigned_last(history, report):
    built = build(reports=[report], as_of=datetime.date(2025, 12, 31))
    codes = [r.code for r in built.rows]
    # 広報広聴課 (都市政策局, order 1) before デジタル行政戦略課 (総務局, order 2), although 意見01 comes
    # before 意見04 in the report; within a section, the report's order
    assert codes[:6] == ["指摘01", "意見04", "意見16", "意見01", "意見02", "意見19"]
    unassigned = built.rows[6:]
    assert {r.status for r in unassigned} == {"未割当"}
    assert {r.bureau for r in unassigned} == {status_report.UNASSIGNED_GROUP}
    # the unassigned rows keep the report's order (指摘 first, then 意見 by number)
    expected = [f.code for f in Finding.objects.filter(report=report).order_by("order")]
    assert [r.code for r in unassigned] == [c for c in expected if c not in codes[:6]]
    assert [r.code for r in unassigned][:3] == ["指摘02", "指摘03", "意見03"]


def test_organisation_order_is_the_bureau_order_not_the_name(history, report):
    """Swap the two bureaus' order: the rows follow."""
    Bureau.objects.filter(name=B_BUREAU).update(order=0)
    codes = [r.code for r in build(reports=[report], as_of=datetime.date(2025, 12, 31)).rows][:6]
    assert codes == ["意見01", "意見02", "意見04", "意見19", "指摘01", "意見16"]
    # and within a bureau, the section order
    Bureau.objects.filter(name=B_BUREAU).update(order=2)
    Section.objects.filter(pk=history.section_a.pk).update(order=99)
    history.assign("意見03", [Section.objects.get(bureau__name=A_BUREAU, name="交通政策課")], jst(2025, 5, 2, 9))
    codes = [r.code for r in build(reports=[report], as_of=datetime.date(2025, 12, 31)).rows][:7]
    assert codes == ["意見03", "指摘01", "意見04", "意見16", "意見01", "意見02", "意見19"]


# -- summary, rate, title ----------------------------------------------------------------------


def test_summary_counts_and_done_rate(history, report):
    built = build(reports=[report], as_of=datetime.date(2025, 12, 31))
    assert built.labels == LABELS
    assert summary_of(built) == {
        #        未割当 未着手 検討中 措置中 措置済 措置しない
        "指摘": [2, 0, 0, 0, 1, 0],
        "意見": [25, 1, 1, 2, 0, 1],
    }
    assert [s["total"] for s in built.summary] == [3, 30]
    assert built.totals == [27, 1, 1, 2, 1, 1]
    assert built.n_findings == 33 and built.n_done == 1
    assert built.done_rate == pytest.approx(100 / 33)
    assert built.done_label == "措置済"
    # per section counts the same findings the same way
    per_section = build(reports=[report], as_of=datetime.date(2025, 12, 31), per="section")
    assert per_section.summary == built.summary and per_section.totals == built.totals


def test_summary_agrees_with_the_rows(history, report):
    """An independent count over the rows (per finding: one row, one finding)."""
    built = build(reports=[report], as_of=datetime.date(2025, 12, 31))
    for s in built.summary:
        assert s["counts"] == [sum(1 for r in built.rows if r.kind == s["kind"] and r.status == x) for x in LABELS]


def test_renamed_status_label_is_used(history, report):
    MeasureStatus.objects.filter(code="done").update(label="改善済み")
    built = build(reports=[report], as_of=datetime.date(2025, 12, 31))
    assert by_code(built)["指摘01"].status == "改善済み"
    assert built.done_label == "改善済み" and built.n_done == 1
    assert "改善済み" in built.labels and "措置済" not in built.labels


def test_title_and_report_heading(history, report):
    built = build(reports=[report], as_of=datetime.date(2025, 12, 31))
    assert built.title == "令和6年度包括外部監査の結果に対する措置状況（令和7年12月31日現在）"
    assert built.as_of_wareki == "令和7年12月31日"
    (main,) = built.reports
    assert main["code"] == MAIN and main["fiscal_year"] == "令和6年度"
    assert main["published_on"] == "令和7年4月11日"
    assert main["publication_number"] == "金沢市監査公表第8号"
    assert main["auditor"] == "公認会計士 越田 圭"
    first_day = build(reports=[report], as_of=datetime.date(2019, 5, 1))
    assert first_day.title.endswith("（令和元年5月1日現在）")


def test_to_json_round_trips_the_rows(history, report):
    import json

    built = build(reports=[report], as_of=datetime.date(2025, 12, 31))
    data = json.loads(json.dumps(built.to_json(), ensure_ascii=False))
    assert len(data["rows"]) == 33 and data["done_rate"] == pytest.approx(100 / 33)
    assert data["rows"][0]["code"] == "指摘01" and data["rows"][0]["completed_on"] == "2025-12-01"
