"""Reads of the follow-up workflow: measure pages, work lists, the audit office dashboard."""

import datetime
from collections import Counter, defaultdict

from django.db import connection
from django.db.models import Count, F, Prefetch, Q
from django.shortcuts import get_object_or_404

from auditreg import access
from auditreg.models import Bureau, ChangeLog, Section

from .choices import OPEN_REPORT_STATES, ReportState
from .models import EvidenceFile, Finding, Measure, MeasureReport, MeasureStatus
from .selectors import FINDING_LONG_TEXTS
from .status import UNASSIGNED, label_of

# A measure's finding without its verbatim texts (kilobytes each): no measure table shows them.
FINDING_LONG_TEXTS_OF_MEASURE = [f"finding__{f}" for f in FINDING_LONG_TEXTS] + ["finding__body_title"]


def measure_rows(measures):
    """Measures as the rows of findings/includes/measure_table.html, and nothing more: the finding's
    code and title without its verbatim texts, its report's fiscal year as a column (m.fiscal_year)
    rather than a report instance per row, the section and bureau, the status."""
    return (
        measures.select_related("finding", "section__bureau", "status")
        .defer(*FINDING_LONG_TEXTS_OF_MEASURE)
        .annotate(fiscal_year=F("finding__report__fiscal_year"))
    )


def measure_detail(*, user, pk) -> Measure:
    measure = get_object_or_404(
        access.visible_measures(user)
        .select_related("finding__report", "section__bureau", "status", "assigned_by")
        .prefetch_related(
            Prefetch(
                "reports",
                queryset=MeasureReport.objects.select_related(
                    "status", "drafted_by", "last_edited_by", "approved_by", "reviewed_by"
                ).order_by("drafted_at", "pk"),
            ),
            Prefetch("evidence", queryset=EvidenceFile.objects.select_related("uploaded_by").order_by("uploaded_at")),
        ),
        pk=pk,
    )
    reports = list(measure.reports.all())
    measure.open_report = next((r for r in reports if r.state in OPEN_REPORT_STATES), None)
    return measure


def section_return_note(report: MeasureReport):
    """The latest 課内差戻し of a report (who, when, the comment), or None."""
    return (
        ChangeLog.objects.filter(
            object_type=MeasureReport._meta.label_lower, object_id=report.pk, action="report.section_returned"
        )
        .select_related("actor")
        .order_by("-pk")
        .first()
    )


def finding_measures(*, user, finding: Finding):
    return list(
        access.visible_measures(user)
        .filter(finding=finding)
        .select_related("section__bureau", "status")
        .prefetch_related(
            Prefetch(
                "reports",
                queryset=MeasureReport.objects.select_related(
                    "status", "drafted_by", "approved_by", "reviewed_by"
                ).order_by("drafted_at", "pk"),
            )
        )
    )


def finding_history(*, user, finding: Finding):
    """The change log of a finding. Section users see only entries about their own measures'
    objects plus the assignment entries (which are about their section or visible anyway), and the
    changes to the finding's own text (an import: the report is read by everyone)."""
    entries = ChangeLog.objects.filter(finding_id=finding.pk).select_related("actor").order_by("at", "pk")
    if access.is_office(user):
        return list(entries)
    visible = set(access.visible_measures(user).filter(finding=finding).values_list("pk", flat=True))
    report_ids = set(MeasureReport.objects.filter(measure_id__in=visible).values_list("pk", flat=True))
    return [
        e
        for e in entries
        if (e.object_type == "findings.measure" and e.object_id in visible)
        or (e.object_type == "findings.measurereport" and e.object_id in report_ids)
        or (e.object_type == "findings.finding" and e.object_id == finding.pk)
    ]


def evidence_for_download(*, user, pk) -> EvidenceFile:
    return get_object_or_404(access.visible_evidence(user).select_related("measure"), pk=pk)


def _open_reports():
    return Prefetch(
        "reports",
        queryset=MeasureReport.objects.filter(state__in=OPEN_REPORT_STATES).select_related(
            "drafted_by", "last_edited_by", "status"
        ),
        to_attr="open_reports",
    )


# The columns a work list row reads (the groups and findings/includes/measure_table.html): hundreds
# of rows, so nothing else is fetched or converted. A column missing here would cost a query per row,
# which the query-count tests at two data sizes would show.
WORKLIST_COLUMNS = (
    "id",
    "finding_id",
    "section_id",
    "reply_by",
    "status_id",
    "finding__id",
    "finding__code",
    "finding__title",
    "finding__report_id",
    "finding__order",
)


def worklist(*, user, today: datetime.date, due_days: int = 14):
    """A section's measures, each with its open report, grouped as the section works on them.
    Returns (measures, groups, sections by id: the measures' sections and the user's own).

    Hundreds of rows: the few sections and statuses are loaded once and shared by the rows rather
    than joined and instantiated per row; the open reports (at most one per measure) come from one
    query by the measures' ids."""
    statuses = {s.pk: s for s in MeasureStatus.objects.all()}
    measures = list(
        access.visible_measures(user)
        .select_related("finding")
        .only(*WORKLIST_COLUMNS)
        .annotate(fiscal_year=F("finding__report__fiscal_year"))
        .order_by("reply_by", "finding__report_id", "finding__order")
    )
    wanted = {m.section_id for m in measures} | ({user.section_id} if user.section_id else set())
    sections = Section.objects.select_related("bureau").in_bulk(wanted)
    open_reports = {
        r.measure_id: r
        for r in MeasureReport.objects.filter(state__in=OPEN_REPORT_STATES, measure_id__in=[m.pk for m in measures])
        .select_related("last_edited_by", "status")
        .defer("text", "reason", "review_comment")
    }
    groups = defaultdict(list)
    for m in measures:
        m.section, m.status = sections[m.section_id], statuses[m.status_id]
        m.open_report = open_reports.get(m.pk)
        state = m.open_report.state if m.open_report else None
        if state in (ReportState.RETURNED, ReportState.REVISING):  # by the audit office or in-section
            groups["returned"].append(m)
        elif state == ReportState.DRAFT:
            groups["awaiting_approval"].append(m)
        elif state == ReportState.SUBMITTED:
            groups["submitted"].append(m)
        if m.status.is_closed:
            groups["closed"].append(m)
        elif m.reply_by and m.reply_by < today and state != ReportState.SUBMITTED:
            groups["overdue"].append(m)
        elif m.reply_by and m.reply_by <= today + datetime.timedelta(days=due_days) and state is None:
            groups["due_soon"].append(m)
        elif state is None:
            groups["to_do"].append(m)
    return measures, groups, sections


LIST_LIMIT = 100  # rows listed on the dashboard per table; the counts above them are complete


def _visible_reports(user):
    """access.visible_reports, less its semi-join when the user sees every measure (an unfiltered
    access.visible_measures, as for the audit office): the same rows, but PostgreSQL no longer hashes
    ~100k measures to check that each report's measure exists (it always does: a non-null foreign key)."""
    measures = access.visible_measures(user)
    if measures.query.where or measures.query.is_empty():
        return access.visible_reports(user)
    return MeasureReport.objects.all()


# What the dashboard's table of reports awaiting review shows: the finding's code, the section, the
# status, when and by whom it was approved (a missing column would cost a query per row).
AWAITING_COLUMNS = (
    "id",
    "state",
    "measure_id",
    "status_id",
    "approved_at",
    "approved_by_id",
    "measure__id",
    "measure__finding_id",
    "measure__section_id",
    "measure__finding__id",
    "measure__finding__code",
    "measure__section__id",
    "measure__section__name",
    "measure__section__bureau_id",
    "measure__section__bureau__id",
    "measure__section__bureau__name",
    "status__id",
    "status__label",
    "approved_by__id",
    "approved_by__username",
    "approved_by__last_name",
    "approved_by__first_name",
)


def awaiting_review(*, user):
    """The oldest LIST_LIMIT submitted reports (the dashboard shows the full count beside them)."""
    return list(
        _visible_reports(user)
        .filter(state=ReportState.SUBMITTED)
        .select_related("measure__finding", "measure__section__bureau", "status", "approved_by")
        .only(*AWAITING_COLUMNS)
        .order_by("approved_at")[:LIST_LIMIT]
    )


def awaiting_review_count(*, user) -> int:
    return _visible_reports(user).filter(state=ReportState.SUBMITTED).count()


def dashboard(*, user, today: datetime.date, report=None):
    """Counts for the audit office. Each figure comes from one grouped query."""
    statuses = list(MeasureStatus.objects.order_by("order"))
    findings = access.visible_findings(user)
    if report is not None:
        findings = findings.filter(report=report)
    # 1) findings by 区分 × derived status: one grouped query over the stored status codes, read from
    #    the index (kind, status_code) alone (no ordering: Finding's Meta.ordering would join the report)
    by_kind = Counter()
    for d in findings.order_by().values("kind", "status_code").annotate(n=Count("*")):
        by_kind[(d["kind"], label_of(d["status_code"], statuses))] += d["n"]
    labels = [UNASSIGNED] + [s.label for s in statuses]
    kinds = ["指摘", "意見"]
    table = [
        {"kind": k, "cells": [by_kind[(k, label)] for label in labels], "total": sum(by_kind[(k, x)] for x in labels)}
        for k in kinds
    ]
    done_label = next(s.label for s in statuses if s.is_done)
    totals = [sum(by_kind[(k, label)] for k in kinds) for label in labels]
    n_all = sum(totals)
    n_done = sum(by_kind[(k, done_label)] for k in kinds)
    # 2) measures by section × status: one grouped query over the measure table's own columns (section,
    #    status, reply_by); the names and the done/closed meaning are joined in Python afterwards.
    measures = access.visible_measures(user)
    if report is not None:
        measures = measures.filter(finding__in=findings)
    per_section = _per_section(measures, statuses=statuses, today=today)
    # 3) overdue measures (one query with the joins the table shows)
    closed_ids = [s.pk for s in statuses if s.is_closed]
    overdue = list(
        measure_rows(measures.filter(reply_by__lt=today).exclude(status_id__in=closed_ids))
        .prefetch_related(_open_reports())
        .order_by("reply_by", "finding__order", "pk")[:LIST_LIMIT]
    )
    for m in overdue:
        m.open_report = m.open_reports[0] if m.open_reports else None
    return {
        "labels": labels,
        "table": table,
        "totals": totals,
        "n_findings": n_all,
        "n_done": n_done,
        "done_rate": (n_done / n_all * 100) if n_all else None,
        "per_section": per_section,
        "overdue": overdue,
        "n_overdue": sum(r["overdue"] for r in per_section),
        "list_limit": LIST_LIMIT,
    }


def _per_section(measures, *, statuses, today) -> list[dict]:
    """Rows {section__bureau__name, section__name, total, done, closed, overdue} in the organisation's
    order. The scoped measures are aggregated by (section, status) first and only the ~1,000 groups are
    joined to the section and bureau names, in one query: joining ~100k measures to their section and
    bureau before grouping took three times as long. Done/closed are the statuses' flags, in Python."""
    grouped = (
        measures.order_by()
        .values("section_id", "status_id")
        .annotate(n=Count("pk"), late=Count("pk", filter=Q(reply_by__lt=today)))
        .values_list("section_id", "status_id", "n", "late")
    )
    inner, params = grouped.query.sql_with_params()
    q = connection.ops.quote_name
    section, bureau = Section._meta.db_table, Bureau._meta.db_table
    sql = (
        # the inner query names its columns section_id, status_id, n, late (the values_list above)
        f"SELECT b.{q('name')}, b.{q('order')}, s.{q('name')}, s.{q('order')}, g.{q('status_id')}, g.{q('n')}, "
        f"g.{q('late')} FROM ({inner}) g "  # noqa: S608
        f"INNER JOIN {q(section)} s ON s.{q('id')} = g.{q('section_id')} "
        f"INNER JOIN {q(bureau)} b ON b.{q('id')} = s.{q('bureau_id')}"
    )
    by_pk = {s.pk: s for s in statuses}
    rows: dict[tuple, dict] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for bureau_name, bureau_order, name, order, status_id, n, late in cursor.fetchall():
            status = by_pk[status_id]
            row = rows.setdefault(
                (bureau_order, order, bureau_name, name),
                {
                    "section__bureau__name": bureau_name,
                    "section__bureau__order": bureau_order,
                    "section__name": name,
                    "section__order": order,
                    "total": 0,
                    "done": 0,
                    "closed": 0,
                    "overdue": 0,
                },
            )
            row["total"] += n
            row["done"] += n if status.is_done else 0
            row["closed"] += n if status.is_closed else 0
            row["overdue"] += 0 if status.is_closed else late
    return [rows[key] for key in sorted(rows)]
