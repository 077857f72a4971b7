"""Reads of the follow-up workflow: measure pages, work lists, the audit office dashboard."""

import datetime
from collections import Counter, defaultdict

from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404

from auditreg import access
from auditreg.models import ChangeLog

from .choices import OPEN_REPORT_STATES, ReportState
from .models import EvidenceFile, Finding, Measure, MeasureReport, MeasureStatus
from .status import UNASSIGNED, label_of


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
    objects plus the assignment entries (which are about their section or visible anyway)."""
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


def worklist(*, user, today: datetime.date, due_days: int = 14):
    """A section's measures, each with its open report, grouped as the section works on them."""
    measures = list(
        access.visible_measures(user)
        .select_related("finding__report", "section__bureau", "status")
        .prefetch_related(_open_reports())
        .order_by("reply_by", "finding__report_id", "finding__order")
    )
    groups = defaultdict(list)
    for m in measures:
        m.open_report = m.open_reports[0] if m.open_reports else None
        state = m.open_report.state if m.open_report else None
        if state == ReportState.RETURNED:
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
    return measures, groups


LIST_LIMIT = 100  # rows listed on the dashboard per table; the counts above them are complete


def awaiting_review(*, user):
    """The oldest LIST_LIMIT submitted reports (the dashboard shows the full count beside them)."""
    return list(
        access.visible_reports(user)
        .filter(state=ReportState.SUBMITTED)
        .select_related("measure__finding__report", "measure__section__bureau", "status", "approved_by")
        .order_by("approved_at")[:LIST_LIMIT]
    )


def dashboard(*, user, today: datetime.date, report=None):
    """Counts for the audit office. Each figure comes from one grouped query."""
    statuses = list(MeasureStatus.objects.order_by("order"))
    findings = access.visible_findings(user)
    if report is not None:
        findings = findings.filter(report=report)
    # 1) findings by 区分 × derived status: one grouped query over the stored status codes
    by_kind = Counter()
    for d in findings.values("kind", "status_code").annotate(n=Count("pk")):
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
    # 2) measures by bureau and section × status: one grouped query
    measures = access.visible_measures(user).filter(finding__in=findings)
    per_section = (
        measures.values("section__bureau__name", "section__bureau__order", "section__name", "section__order")
        .annotate(
            total=Count("pk"),
            done=Count("pk", filter=Q(status__is_done=True)),
            closed=Count("pk", filter=Q(status__is_closed=True)),
            overdue=Count("pk", filter=Q(status__is_closed=False, reply_by__lt=today)),
        )
        .order_by("section__bureau__order", "section__order")
    )
    # 3) overdue measures (one query with the joins the table shows)
    overdue = list(
        measures.overdue(today)
        .select_related("finding__report", "section__bureau", "status")
        .prefetch_related(_open_reports())
        .order_by("reply_by", "finding__order")[:LIST_LIMIT]
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
        "per_section": list(per_section),
        "overdue": overdue,
        "n_overdue": sum(r["overdue"] for r in per_section),
        "list_limit": LIST_LIMIT,
    }
