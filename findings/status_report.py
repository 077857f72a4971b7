"""The 措置状況 (status report) as of a date: rows and summary, built from the dated history.

"As of" means what the audit office knew then: a measure counts if it was assigned on or before
the date, and its state is the latest report the audit office had accepted by the end of that day.
"""

import datetime
import functools
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from auditreg.models import CitySettings
from auditreg.wareki import format_date, format_fiscal_year

from .choices import ReportState
from .models import AuditReport, Finding, Measure, MeasureReport, MeasureStatus, OrganisationMove
from .status import UNASSIGNED, derive_code, kind_summary

UNASSIGNED_GROUP = "（所管課未定）"
ORDERS = {"organisation": "局・課の順", "number": "番号順"}


@dataclass
class Row:
    """One row of the 措置状況, structured: the status as a code ("" = 未割当) and the responsible units
    with their ids, so that filters, comparisons and snapshots never depend on a label or a joined name.
    `status`, `bureau` and `section` are the display forms the renderers print."""

    finding_id: int
    report_code: str
    code: str
    kind: str
    page: int | None
    summary: str
    text: str
    status_code: str
    completed_on: str  # ISO date or ""
    # one entry per responsible unit, in organisation order: {bureau_id, section_id, bureau, section}
    units: list[dict] = field(default_factory=list)
    planned_on: str = ""  # 完了予定日 (ISO) of each measure not yet closed, one line per line of `section`
    bureau_order: int = 0
    section_order: int = 0
    finding_order: int = 0
    finding_key: str = ""
    labels: dict = field(default_factory=dict, repr=False, compare=False)  # status code -> label (display)

    def key(self):
        return (self.report_code, self.finding_key or self.code, self.section_id)

    @property
    def section_id(self) -> int | None:
        return self.units[0]["section_id"] if len(self.units) == 1 else None

    @property
    def status(self) -> str:
        return self.labels.get(self.status_code, self.status_code or UNASSIGNED)

    @property
    def bureau(self) -> str:
        """The 局 names, one line per unit (aligned with `section`); 所管課未定 when unassigned."""
        return "\n".join(u["bureau"] for u in self.units) if self.units else UNASSIGNED_GROUP

    @property
    def section(self) -> str:
        return "\n".join(u["section"] for u in self.units)

    def to_json(self) -> dict:
        data = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "labels"}
        data["units"] = [dict(u) for u in self.units]
        return data


@dataclass
class StatusReport:
    title: str
    as_of: str  # ISO
    as_of_wareki: str
    per: str  # "finding" | "section"
    reports: list[dict]
    rows: list[Row] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)  # summary columns (display)
    codes: list[str] = field(default_factory=list)  # the status codes of those columns ("" = 未割当)
    summary: list[dict] = field(default_factory=list)  # per 区分: {"kind", "label", "counts": [...], "total"}
    totals: list[int] = field(default_factory=list)
    n_findings: int = 0
    n_done: int = 0
    done_label: str = "措置済"
    # the number of findings the reports state of themselves where only some are loaded (0: not stated)
    n_stated: int = 0
    status_labels: dict = field(default_factory=dict)  # status code -> label, as published
    kind_labels: dict = field(default_factory=dict)  # finding kind code -> label, as published
    order: str = "organisation"  # "organisation" (局・課の順) or "number" (報告書の番号順)
    preamble: dict | None = None  # the publication's 前文, see findings.renderers.preamble

    @functools.cached_property
    def fiscal_years(self) -> dict[str, str]:
        """Report code -> its 年度 as printed before a row's 番号 when the table holds several reports (looked
        up once per row: a search of the reports per row was a second at 30,000 rows of 1,000 reports)."""
        years: dict[str, str] = {}
        for r in self.reports:
            years.setdefault(r["code"], r["fiscal_year"])
        return years

    @property
    def n_basis(self) -> int:
        """The 措置済率's denominator: the stated number of findings where it exceeds those loaded."""
        return max(self.n_findings, self.n_stated)

    @property
    def done_rate(self) -> float | None:
        return self.n_done / self.n_basis * 100 if self.n_basis else None

    def to_json(self) -> dict:
        data = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "rows"}
        data["rows"] = [r.to_json() for r in self.rows]
        data["done_rate"] = self.done_rate
        return data


def _derive(measure_statuses: list[MeasureStatus], statuses: list[MeasureStatus]) -> str:
    """findings.status's rule over the statuses known on the as-of date, as a code ("" = 未割当)."""
    open_orders = [s.order for s in measure_statuses if not s.is_closed]
    return derive_code(
        n_measures=len(measure_statuses),
        n_done=sum(s.is_done for s in measure_statuses),
        n_closed=sum(s.is_closed for s in measure_statuses),
        min_open_order=min(open_orders) if open_orders else None,
        statuses=statuses,
    )


def _filtered(rows: list[Row], *, bureau, section, kind, status, finding_status, statuses) -> list[Row]:
    """The filters, applied to rows so that summary and table always agree: on unit ids and status codes."""
    if bureau is not None:
        rows = [r for r in rows if any(u["bureau_id"] == bureau.pk for u in r.units)]
    if section is not None:
        rows = [r for r in rows if any(u["section_id"] == section.pk for u in r.units)]
    if kind:
        rows = [r for r in rows if r.kind == kind]
    if status:
        wanted = _status_code(status, statuses)
        # by the finding's overall status, the one the summary counts (also when rows are per section)
        rows = [r for r in rows if finding_status[r.finding_id] == wanted]
    return rows


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


@dataclass
class _Facts:
    """What the status report is made of, read in a fixed number of queries (plain tuples, not instances)."""

    statuses: list[MeasureStatus]
    findings: list  # (pk, report_id, code, key, kind, page, title, summary, order)
    by_finding: dict[int, list]  # finding id -> its measures (section, bureau), in organisation order
    latest: dict[int, tuple]  # measure id -> (status_id, text, completed_on, planned_completion_on)

    def __post_init__(self):
        self.by_pk = {s.pk: s for s in self.statuses}
        self.not_started = next(s for s in self.statuses if s.code == "not_started")
        self.labels_by_code = {"": UNASSIGNED} | {s.code: s.label for s in self.statuses}
        self.done_codes = {s.code for s in self.statuses if s.is_done}

    def state_of(self, m):
        r = self.latest.get(m.pk)
        return (self.by_pk[r[0]], r[1], r[2]) if r else (self.not_started, "", None)

    def planned_of(self, m) -> str:  # the planned date matters only while the measure is open
        r = self.latest.get(m.pk)
        return r[3].isoformat() if r and r[3] and not self.by_pk[r[0]].is_closed else ""


def _unit(m) -> dict:
    return {
        "bureau_id": m.section__bureau_id,
        "section_id": m.section_id,
        "bureau": m.section__bureau__name,
        "section": m.section__name,
    }


def _as_it_stood(measures: list, assigned, cutoff: datetime.datetime) -> list:
    """Each measure under the section it stood with on the report's date: one handed over in a
    reorganisation (機構改革) that took effect after that date shows the section it came from (the
    earliest such move's). One query."""
    earlier: dict[int, tuple] = {}
    for move in (
        OrganisationMove.objects.filter(
            measure__in=assigned.values("pk"), to_section__isnull=False, change__effective_on__gte=cutoff.date()
        )
        .order_by("change__effective_on", "pk")
        .values_list(
            "measure_id",
            "from_section__name",
            "from_section__order",
            "from_section__bureau__name",
            "from_section__bureau__order",
            "from_section__bureau_id",
            "from_section_id",
        )
    ):
        earlier.setdefault(move[0], move[1:])
    if not earlier:
        return measures
    fields = (
        "section__name",
        "section__order",
        "section__bureau__name",
        "section__bureau__order",
        "section__bureau_id",
        "section_id",
    )
    return [m._replace(**dict(zip(fields, earlier[m.pk], strict=True))) if m.pk in earlier else m for m in measures]


def _facts(reports: list[AuditReport], cutoff: datetime.datetime) -> _Facts:
    statuses = list(MeasureStatus.objects.order_by("order"))
    # Plain tuples, not model instances: at 30,000 findings and 100,000 measures building instances
    # (and passing 100,000 of them back as query parameters) took most of the time.
    findings = list(
        Finding.objects.filter(report__in=reports)
        .order_by("report__fiscal_year", "order")
        .values_list("pk", "report_id", "code", "key", "kind", "page", "title", "summary", "order", named=True)
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
            "section__bureau_id",
            "section_id",
            named=True,
        )
    )
    measures = _as_it_stood(measures, assigned, cutoff)
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
    return _Facts(statuses=statuses, findings=findings, by_finding=by_finding, latest=latest)


def _rows(facts: _Facts, reports: list[AuditReport], per: str) -> tuple[list[Row], dict[int, str]]:
    """One row per finding (per="finding") or per finding × section; and each finding's derived status."""
    code_of = {r.pk: r.code for r in reports}
    rows: list[Row] = []
    finding_status: dict[int, str] = {}
    for f in facts.findings:
        ms = facts.by_finding.get(f.pk, [])
        states = [facts.state_of(m) for m in ms]
        finding_status[f.pk] = _derive([s for s, _, _ in states], facts.statuses)
        base = dict(
            finding_id=f.pk,
            report_code=code_of[f.report_id],
            code=f.code,
            finding_key=f.key,
            kind=f.kind,
            page=f.page,
            summary=f.summary or f.title,  # the audit office's 要旨, else the title
            finding_order=f.order,
            labels=facts.labels_by_code,
        )
        if not ms:
            rows.append(
                Row(**base, text="", status_code="", completed_on="", units=[], bureau_order=10**6, section_order=0)
            )
        elif per == "section":
            rows.extend(_section_rows(facts, base, ms, states))
        else:
            rows.append(_finding_row(facts, base, ms, states, finding_status[f.pk]))
    return rows, finding_status


def _section_rows(facts: _Facts, base: dict, ms: list, states: list) -> list[Row]:
    return [
        Row(
            **base,
            units=[_unit(m)],
            text=text,
            status_code=st.code,
            completed_on=done_on.isoformat() if done_on else "",
            planned_on=facts.planned_of(m),
            bureau_order=m.section__bureau__order,
            section_order=m.section__order,
        )
        for m, (st, text, done_on) in zip(ms, states, strict=True)
    ]


def _finding_row(facts: _Facts, base: dict, ms: list, states: list, status_code: str) -> Row:
    first = ms[0]
    texts = [
        f"【{m.section__name}】{text}" if len(ms) > 1 and text else text
        for m, (_, text, _) in zip(ms, states, strict=True)
    ]
    done_dates = [d for _, _, d in states if d]
    is_done = status_code in facts.done_codes
    return Row(
        **base,
        units=[_unit(m) for m in ms],
        text="\n".join(t for t in texts if t),
        status_code=status_code,
        completed_on=max(done_dates).isoformat() if is_done and done_dates else "",
        planned_on="\n".join(facts.planned_of(m) for m in ms),
        bureau_order=first.section__bureau__order,
        section_order=first.section__order,
    )


def _counts(rows: list[Row], finding_status: dict[int, str]) -> Counter:
    """Findings counted once each by (kind, status code)."""
    counted = Counter()
    seen = set()
    for r in rows:
        if r.finding_id not in seen:
            seen.add(r.finding_id)
            counted[(r.kind, finding_status[r.finding_id])] += 1
    return counted


def _report_heading(r: AuditReport) -> dict:
    return {
        "code": r.code,
        "fiscal_year": format_fiscal_year(r.fiscal_year),
        "kind": r.kind,
        "theme": r.theme,
        "auditor": f"{r.auditor_title} {r.auditor}".strip(),
        "published_on": format_date(r.published_on),
        "publication_number": r.publication_number,
        "gazette_number": r.gazette_number,
    }


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
    """Rows for the given reports as of a date. A fixed number of queries whatever the size.
    `status` filters by the finding's status: a code, "unassigned", or (as before) a label."""
    assert per in ("finding", "section")
    assert order in ORDERS
    facts = _facts(reports, end_of_day(as_of))
    statuses, labels_by_code, done_codes = facts.statuses, facts.labels_by_code, facts.done_codes
    rows, finding_status = _rows(facts, reports, per)
    rows = _filtered(
        rows, bureau=bureau, section=section, kind=kind, status=status, finding_status=finding_status, statuses=statuses
    )
    _sort(rows, reports, order)
    codes = [""] + [s.code for s in statuses]
    table = kind_summary(_counts(rows, finding_status), codes, done_codes, uncounted=False)
    summary = [{"kind": r.label, "code": r.code, "counts": r.counts, "total": r.total} for r in table.rows]
    return StatusReport(
        title=format_title(reports[0], as_of),
        as_of=as_of.isoformat(),
        as_of_wareki=format_date(as_of),
        per=per,
        reports=[_report_heading(r) for r in reports],
        rows=rows,
        labels=[labels_by_code[c] for c in codes],
        codes=codes,
        summary=summary,
        totals=table.totals,
        n_findings=table.n_findings,
        n_done=table.n_done,
        done_label=next(s.label for s in statuses if s.is_done),
        n_stated=sum(_stated_findings(r) for r in reports),
        status_labels=labels_by_code,
        kind_labels=table.kind_labels,
        order=order,
    )


def _status_code(value: str, statuses) -> str:
    """A status filter's value as a code: a code, "unassigned"/"", or a label (the form's older values)."""
    if value in ("unassigned", UNASSIGNED):
        return ""
    by_label = {s.label: s.code for s in statuses}
    return by_label.get(value, value)


def _stated_findings(report: AuditReport) -> int:
    """The number of findings a report states where only some are loaded (stated_counts["findings"])."""
    value = (report.stated_counts or {}).get("findings")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def format_title(report: AuditReport, as_of: datetime.date) -> str:
    """The publication title, from the city's pattern (CitySettings.status_title_pattern)."""

    city = CitySettings.current()
    values = {
        "fiscal_year": format_fiscal_year(report.fiscal_year),
        "kind": report.kind,
        "theme": report.theme,
        "as_of": format_date(as_of),
        "city": city.city_name,
    }
    try:
        return city.status_title_pattern.format(**values)
    except (KeyError, IndexError, ValueError):  # a pattern the admin mistyped: the built-in one
        return "{fiscal_year}{kind}の結果に対する措置状況（{as_of}現在）".format(**values)


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
    code = row.code if len(report.reports) == 1 else f"{report.fiscal_years.get(row.report_code, '')} {row.code}"
    place = f"{row.page}頁" if row.page else ""
    org = "\n".join(f"{u['bureau']} {u['section']}".strip() for u in row.units) or UNASSIGNED_GROUP
    done = format_date(datetime.date.fromisoformat(row.completed_on)) if row.completed_on else ""
    kind = report.kind_labels.get(row.kind, row.kind)
    status = report.status_labels.get(row.status_code, row.status) if report.status_labels else row.status
    return [code, kind, place, row.summary, org, row.text, status, done]


def build_from_form(form) -> "StatusReport":
    d = form.cleaned_data
    report = build(
        reports=d["reports"],
        as_of=d["as_of"],
        per=d["per"],
        bureau=d["bureau"],
        section=d["section"],
        kind=d["kind"] or None,
        status=d["status"] or None,
        order=d["order"],
    )
    report.preamble = form.preamble_data()
    return report
