"""The 措置状況 (status report) as of a date: rows and summary, built from the dated history.

"As of" means what the audit office knew then: a measure counts if it was assigned on or before
the date, and its state is the latest report the audit office had accepted by the end of that day.
"""

import datetime
from collections import Counter
from dataclasses import asdict, dataclass, field

from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from auditreg.wareki import format_date, format_fiscal_year

from .choices import ReportState
from .models import AuditReport, Finding, Measure, MeasureReport, MeasureStatus
from .status import UNASSIGNED, derive_code, label_of

UNASSIGNED_GROUP = "（所管課未定）"
ORDERS = {"organisation": "局・課の順", "number": "番号順"}


@dataclass
class Row:
    finding_id: int
    report_code: str
    code: str
    kind: str
    page: int | None
    summary: str
    bureau: str
    section: str
    text: str
    status: str
    completed_on: str  # ISO date or ""
    planned_on: str = ""  # 完了予定日 (ISO) of each measure not yet closed, one line per line of `section`
    bureau_order: int = 0
    section_order: int = 0
    finding_order: int = 0

    def key(self):
        return (self.report_code, self.code, self.section)


@dataclass
class StatusReport:
    title: str
    as_of: str  # ISO
    as_of_wareki: str
    per: str  # "finding" | "section"
    reports: list[dict]
    rows: list[Row] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)  # summary columns
    summary: list[dict] = field(default_factory=list)  # per 区分: {"kind", "counts": [...], "total"}
    totals: list[int] = field(default_factory=list)
    n_findings: int = 0
    n_done: int = 0
    done_label: str = "措置済"
    order: str = "organisation"  # "organisation" (局・課の順) or "number" (報告書の番号順)
    preamble: dict | None = None  # the publication's 前文, see findings.reports.preamble

    @property
    def done_rate(self) -> float | None:
        return self.n_done / self.n_findings * 100 if self.n_findings else None

    def to_json(self) -> dict:
        data = asdict(self)
        data["done_rate"] = self.done_rate
        return data


def _derive(measure_statuses: list[MeasureStatus], statuses: list[MeasureStatus]) -> str:
    """findings.status's rule over the statuses known on the as-of date."""
    open_orders = [s.order for s in measure_statuses if not s.is_closed]
    code = derive_code(
        n_measures=len(measure_statuses),
        n_done=sum(s.is_done for s in measure_statuses),
        n_closed=sum(s.is_closed for s in measure_statuses),
        min_open_order=min(open_orders) if open_orders else None,
        statuses=statuses,
    )
    return label_of(code, statuses)


def _sort(rows: list[Row], reports: list[AuditReport], order: str) -> None:
    """番号順: report by report (the newest first), then as listed in the report; 局・課の順: by the
    city's organisation order, the newest report's items first within a section."""
    if order == "number":
        report_order = {r.code: i for i, r in enumerate(reports)}
        rows.sort(key=lambda r: (report_order[r.report_code], r.finding_order, r.bureau_order, r.section_order))
    else:
        rows.sort(key=lambda r: (r.bureau_order, r.section_order, r.report_code != reports[0].code, r.finding_order))


def end_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min))


def build(
    *,
    reports: list[AuditReport],
    as_of: datetime.date,
    per: str = "finding",
    bureau=None,
    section=None,
    kind: str | None = None,
    status: str | None = None,
    order: str = "organisation",
) -> StatusReport:
    """Rows for the given reports as of a date. A fixed number of queries whatever the size."""
    assert per in ("finding", "section")
    assert order in ORDERS
    statuses = list(MeasureStatus.objects.order_by("order"))
    not_started = next(s for s in statuses if s.code == "not_started")
    by_pk = {s.pk: s for s in statuses}
    cutoff = end_of_day(as_of)
    code_of = {r.pk: r.code for r in reports}
    # Plain tuples, not model instances: at 30,000 findings and 100,000 measures building instances
    # (and passing 100,000 of them back as query parameters) took most of the time.
    findings = list(
        Finding.objects.filter(report__in=reports)
        .order_by("report__fiscal_year", "order")
        .values_list("pk", "report_id", "code", "kind", "page", "title", "order", named=True)
    )
    assigned = Measure.objects.filter(finding__report__in=reports, assigned_at__lt=cutoff).order_by()
    measures = list(
        assigned.values_list(
            "pk",
            "finding_id",
            "section__name",
            "section__order",
            "section__bureau__name",
            "section__bureau__order",
            "section_id",
            named=True,
        )
    )
    # the latest report accepted by the cutoff, per measure, chosen by the database (one row each)
    latest_first = Window(
        RowNumber(), partition_by=[F("measure_id")], order_by=[F("reviewed_at").desc(), F("pk").desc()]
    )
    latest = {
        r[0]: r[1:]
        for r in MeasureReport.objects.filter(
            measure__in=assigned.values("pk"),
            state=ReportState.ACCEPTED,
            reviewed_at__lt=cutoff,
        )
        .annotate(nth=latest_first)
        .filter(nth=1)
        .order_by()
        .values_list("measure_id", "status_id", "text", "completed_on", "planned_completion_on")
    }
    by_finding: dict[int, list] = {}
    for m in measures:
        by_finding.setdefault(m.finding_id, []).append(m)
    for ms in by_finding.values():
        ms.sort(key=lambda m: (m.section__bureau__order, m.section__order, m.section_id))

    def state_of(m):
        r = latest.get(m.pk)
        return (by_pk[r[0]], r[1], r[2]) if r else (not_started, "", None)

    def planned_of(m):  # the planned date matters only while the measure is open
        r = latest.get(m.pk)
        return r[3].isoformat() if r and r[3] and not by_pk[r[0]].is_closed else ""

    rows: list[Row] = []
    finding_status: dict[int, str] = {}
    for f in findings:
        ms = by_finding.get(f.pk, [])
        states = [state_of(m) for m in ms]
        finding_status[f.pk] = _derive([s for s, _, _ in states], statuses)
        base = dict(
            finding_id=f.pk,
            report_code=code_of[f.report_id],
            code=f.code,
            kind=f.kind,
            page=f.page,
            summary=f.title,
            finding_order=f.order,
        )
        if not ms:
            rows.append(
                Row(
                    **base,
                    bureau=UNASSIGNED_GROUP,
                    section="",
                    text="",
                    status=UNASSIGNED,
                    completed_on="",
                    bureau_order=10**6,
                    section_order=0,
                )
            )
        elif per == "section":
            for m, (st, text, done_on) in zip(ms, states, strict=True):
                rows.append(
                    Row(
                        **base,
                        bureau=m.section__bureau__name,
                        section=m.section__name,
                        text=text,
                        status=st.label,
                        completed_on=done_on.isoformat() if done_on else "",
                        planned_on=planned_of(m),
                        bureau_order=m.section__bureau__order,
                        section_order=m.section__order,
                    )
                )
        else:
            first = ms[0]
            texts = [
                f"【{m.section__name}】{text}" if len(ms) > 1 and text else text
                for m, (_, text, _) in zip(ms, states, strict=True)
            ]
            done_dates = [d for _, _, d in states if d]
            is_done = finding_status[f.pk] == next(s.label for s in statuses if s.is_done)
            rows.append(
                Row(
                    **base,
                    bureau="\n".join(m.section__bureau__name for m in ms),  # aligned with `section`, line by line
                    section="\n".join(m.section__name for m in ms),
                    text="\n".join(t for t in texts if t),
                    status=finding_status[f.pk],
                    completed_on=max(done_dates).isoformat() if is_done and done_dates else "",
                    planned_on="\n".join(planned_of(m) for m in ms),
                    bureau_order=first.section__bureau__order,
                    section_order=first.section__order,
                )
            )
    # filters (applied to rows so that summary and table always agree)
    if bureau is not None:
        rows = [r for r in rows if bureau.name in r.bureau.split("\n")]
    if section is not None:
        rows = [
            r
            for r in rows
            if (section.bureau.name, section.name) in zip(r.bureau.split("\n"), r.section.split("\n"), strict=True)
        ]
    if kind:
        rows = [r for r in rows if r.kind == kind]
    if status:
        # by the finding's overall status, the one the summary counts (also when rows are per section)
        rows = [r for r in rows if finding_status[r.finding_id] == status]
    _sort(rows, reports, order)

    labels = [UNASSIGNED] + [s.label for s in statuses]
    counted = Counter()
    seen = set()
    for r in rows:
        if r.finding_id not in seen:
            seen.add(r.finding_id)
            counted[(r.kind, finding_status[r.finding_id])] += 1
    kinds = ["指摘", "意見"]
    summary = [
        {"kind": k, "counts": [counted[(k, x)] for x in labels], "total": sum(counted[(k, x)] for x in labels)}
        for k in kinds
    ]
    done_label = next(s.label for s in statuses if s.is_done)
    main = reports[0]
    title = f"{format_fiscal_year(main.fiscal_year)}{main.kind}の結果に対する措置状況（{format_date(as_of)}現在）"
    return StatusReport(
        title=title,
        as_of=as_of.isoformat(),
        as_of_wareki=format_date(as_of),
        per=per,
        reports=[
            {
                "code": r.code,
                "fiscal_year": format_fiscal_year(r.fiscal_year),
                "kind": r.kind,
                "theme": r.theme,
                "auditor": f"{r.auditor_title} {r.auditor}".strip(),
                "published_on": format_date(r.published_on),
                "publication_number": r.publication_number,
                "gazette_number": r.gazette_number,
            }
            for r in reports
        ],
        rows=rows,
        labels=labels,
        summary=summary,
        totals=[sum(counted[(k, x)] for k in kinds) for x in labels],
        n_findings=len(seen),
        n_done=sum(counted[(k, done_label)] for k in kinds),
        done_label=done_label,
        order=order,
    )


COLUMNS = [
    "番号",
    "区分",
    "報告書該当箇所",
    "監査の結果（要旨）",
    "所管局・所管課",
    "措置（対応）の内容",
    "措置状況",
    "措置年月日",
]


def table_cells(report: StatusReport, row: Row) -> list:
    """One table row as printed: the same cells in every format."""
    code = row.code if len(report.reports) == 1 else f"{_fy(report, row)} {row.code}"
    place = f"{row.page}頁" if row.page else ""
    org = "\n".join(f"{b} {s}".strip() for b, s in zip(row.bureau.split("\n"), row.section.split("\n"), strict=True))
    done = format_date(datetime.date.fromisoformat(row.completed_on)) if row.completed_on else ""
    return [code, row.kind, place, row.summary, org, row.text, row.status, done]


def _fy(report, row):
    return next((r["fiscal_year"] for r in report.reports if r["code"] == row.report_code), "")
