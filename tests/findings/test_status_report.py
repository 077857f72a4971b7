"""The 措置状況 as of a date (findings.status_report.build), from a known dated history.

The history below is written through the workflow services with the clock set, so that every
expected value in this module can be read off the timeline (the numbers are typed, not computed
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
from contextlib import contextmanager
from dataclasses import dataclass
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from auditreg.choices import Role
from auditreg.models import Bureau, Section
from findings import status_report
from findings.choices import ReportState
from findings.models import AuditReport, Finding, Measure, MeasureReport, MeasureStatus
from findings.services import finding_assign, report_accept, report_return, report_save_draft, report_submit
from findings.status_report import COLUMNS, build, table_cells

pytestmark = pytest.mark.django_db

JST = ZoneInfo("Asia/Tokyo")
MAIN = "kanazawa-2024-dx"
EARLIER = "kanazawa-2021-citizen"

A_BUREAU, A_NAME = "都市政策局", "広報広聴課"
B_BUREAU, B_NAME = "総務局", "デジタル行政戦略課"

LABELS = ["未割当", "未着手", "措置予定・検討中", "措置中", "措置済", "措置しない"]

TEXT = {
    "指摘01/1": "作成者IDと承認者IDの分離を各課に確認中。",
    "指摘01/2": "全課でIDを分離し、確認一覧を作成した。",
    "意見04/A": "最低制限価格の算定根拠を設計書に記載することとした。",
    "意見04/B": "入札事務の手引きの改訂に着手した。",
    "意見04/B-returned": "手引きを改訂した（差戻し）。",
    "意見19/1": "リカバリ訓練の方法を検討している。",
    "意見19/2": "リカバリ訓練の実施計画を作成中。",
    "意見16/1": "標準QAの見直しに着手した。",
    "意見16/2": "標準QAを見直した（審査待ち）。",
    "意見01/draft": "KPIの補完的分析を下書き中。",
    "意見02/reason": "参考指標は既存の統計で足りるため追加しない。",
}


def jst(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=JST)


@contextmanager
def at(moment: datetime.datetime):
    """The services stamp their writes with timezone.now(): set the clock."""
    with patch("django.utils.timezone.now", return_value=moment):
        yield


def status(code) -> MeasureStatus:
    return MeasureStatus.objects.get(code=code)


@dataclass
class History:
    report: AuditReport
    section_a: Section
    section_b: Section
    auditor: object
    staff_a: object
    head_a: object
    staff_b: object
    head_b: object
    measures: dict  # "指摘01/A" -> Measure

    def assign(self, code, sections, when):
        finding = Finding.objects.get(report=self.report, code=code)
        with at(when):
            return finding_assign(finding=finding, sections=sections, reply_by=None, by=self.auditor)

    def people(self, measure):
        if measure.section_id == self.section_a.pk:
            return self.staff_a, self.head_a
        return self.staff_b, self.head_b

    def draft(self, measure, when, code, text="", completed_on=None, reason=""):
        staff, _ = self.people(measure)
        open_report = measure.reports.filter(state__in=[ReportState.DRAFT, ReportState.RETURNED]).first()
        values = {
            "status": status(code),
            "reported_on": when.date(),
            "text": text,
            "planned_completion_on": None,
            "completed_on": completed_on,
            "reason": reason,
        }
        with at(when):
            return report_save_draft(
                measure=measure, by=staff, values=values, version=open_report.version if open_report else None
            )

    def submit(self, report, when):
        _, head = self.people(report.measure)
        with at(when):
            return report_submit(report=report, by=head)

    def accept(self, report, when):
        with at(when):
            return report_accept(report=report, by=self.auditor)

    def accepted(self, measure, code, *, drafted, reviewed, text="", completed_on=None, reason=""):
        r = self.draft(measure, drafted, code, text=text, completed_on=completed_on, reason=reason)
        r = self.submit(r, drafted + datetime.timedelta(hours=2))
        return self.accept(r, reviewed)


def build_history(make_user, report) -> History:
    section_a = Section.objects.get(bureau__name=A_BUREAU, name=A_NAME)
    section_b = Section.objects.get(bureau__name=B_BUREAU, name=B_NAME)
    h = History(
        report=report,
        section_a=section_a,
        section_b=section_b,
        auditor=make_user("h_auditor", Role.AUDITOR, last_name="監査"),
        staff_a=make_user("h_staff_a", Role.SECTION_STAFF, section_a, last_name="広報担当"),
        head_a=make_user("h_head_a", Role.SECTION_HEAD, section_a, last_name="広報課長"),
        staff_b=make_user("h_staff_b", Role.SECTION_STAFF, section_b, last_name="デジタル担当"),
        head_b=make_user("h_head_b", Role.SECTION_HEAD, section_b, last_name="デジタル課長"),
        measures={},
    )
    may = jst(2025, 5, 1, 9)
    for code, sections in [
        ("指摘01", [section_a]),
        ("意見19", [section_b]),
        ("意見04", [section_a, section_b]),
        ("意見01", [section_b]),
        ("意見02", [section_b]),
    ]:
        for m in h.assign(code, sections, may):
            h.measures[f"{code}/{'A' if m.section_id == section_a.pk else 'B'}"] = m
    m = h.measures
    h.accepted(
        m["指摘01/A"], "in_progress", drafted=jst(2025, 6, 2, 10), reviewed=jst(2025, 6, 10, 15), text=TEXT["指摘01/1"]
    )
    h.accepted(
        m["意見04/B"], "in_progress", drafted=jst(2025, 6, 5, 10), reviewed=jst(2025, 6, 15, 15), text=TEXT["意見04/B"]
    )
    h.accepted(
        m["意見19/B"], "planned", drafted=jst(2025, 6, 12, 10), reviewed=jst(2025, 6, 20, 15), text=TEXT["意見19/1"]
    )
    h.draft(m["意見01/B"], jst(2025, 7, 1, 10), "in_progress", text=TEXT["意見01/draft"])
    (m["意見16/A"],) = h.assign("意見16", [section_a], jst(2025, 8, 1, 9))
    h.accepted(
        m["意見16/A"], "in_progress", drafted=jst(2025, 8, 5, 10), reviewed=jst(2025, 8, 20, 15), text=TEXT["意見16/1"]
    )
    h.accepted(
        m["意見04/A"],
        "done",
        drafted=jst(2025, 9, 2, 10),
        reviewed=jst(2025, 9, 10, 15),
        text=TEXT["意見04/A"],
        completed_on=datetime.date(2025, 9, 1),
    )
    h.accepted(
        m["意見02/B"],
        "not_taking",
        drafted=jst(2025, 10, 20, 10),
        reviewed=jst(2025, 11, 1, 15),
        reason=TEXT["意見02/reason"],
    )
    returned = h.draft(
        m["意見04/B"],
        jst(2025, 11, 4, 10),
        "done",
        text=TEXT["意見04/B-returned"],
        completed_on=datetime.date(2025, 11, 1),
    )
    returned = h.submit(returned, jst(2025, 11, 5, 10))
    with at(jst(2025, 11, 10, 15)):
        report_return(report=returned, by=h.auditor, comment="根拠資料を添付してください。")
    h.draft(
        m["意見04/B"],
        jst(2025, 11, 12, 10),
        "done",
        text=TEXT["意見04/B-returned"],
        completed_on=datetime.date(2025, 11, 1),
    )
    h.accepted(
        m["指摘01/A"],
        "done",
        drafted=jst(2025, 12, 2, 10),
        reviewed=jst(2025, 12, 10, 15),
        text=TEXT["指摘01/2"],
        completed_on=datetime.date(2025, 12, 1),
    )
    pending = h.draft(
        m["意見16/A"], jst(2025, 12, 18, 10), "done", text=TEXT["意見16/2"], completed_on=datetime.date(2025, 12, 15)
    )
    h.submit(pending, jst(2025, 12, 20, 10))
    h.accepted(
        m["意見19/B"],
        "in_progress",
        drafted=jst(2025, 12, 25, 10),
        reviewed=jst(2026, 1, 1, 0, 30),
        text=TEXT["意見19/2"],
    )
    return h


@pytest.fixture
def history(make_user, report):
    return build_history(make_user, report)


def by_code(built) -> dict:
    return {r.code: r for r in built.rows}


def summary_of(built) -> dict:
    return {s["kind"]: s["counts"] for s in built.summary}


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
