"""Reads of the audit office dashboard: its counts, tables and charts (from the kept counts where it can)."""

import datetime
import itertools
from collections import Counter

from django.db import connection
from django.db.models import (
    Count,
    F,
    FilteredRelation,
    Min,
    Q,
    Sum,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce

from auditreg.models import Bureau, Section

from .choices import OPEN_REPORT_STATES, ReportState
from .models import (
    BureauFindingCount,
    Finding,
    FindingReplyByCount,
    FindingStatusCount,
    Measure,
    MeasureCount,
    MeasureReport,
    MeasureStatus,
    Publication,
)
from .status import UNASSIGNED, kind_summary

LIST_LIMIT = 100  # rows listed on the dashboard per table; the counts above them are complete


EDITOR_NAME = ("last_name", "first_name", "username")


def overdue_rows(measures) -> list[dict]:
    """The first LIST_LIMIT of these measures by deadline, as the columns of the dashboard's table
    (findings/includes/measure_table.html's), with the open report's state and last editor (at most one
    open report per measure: report_one_open_per_measure) joined in the same query: dicts, not the ~5
    model instances per row the joins would build."""
    rows = list(
        measures.annotate(open=FilteredRelation("reports", condition=Q(reports__state__in=OPEN_REPORT_STATES)))
        .order_by("reply_by", "finding__order", "pk")
        .values(
            "pk",
            "reply_by",
            code=F("finding__code"),
            title=F("finding__title"),
            fiscal_year=F("finding__report__fiscal_year"),
            section_name=F("section__name"),
            status_label=F("status__label"),
            open_state=F("open__state"),
            **{f"open_editor_{f}": F(f"open__last_edited_by__{f}") for f in EDITOR_NAME},
        )[:LIST_LIMIT]
    )
    for row in rows:
        editor = {f"last_edited_by__{f}": row.pop(f"open_editor_{f}") for f in EDITOR_NAME}
        state = row.pop("open_state")
        row["open_report"] = {"state": state, **editor} if state else None
    return rows


def _visible_reports(user):
    """MeasureReport.objects.for_user, less its semi-join when the user sees every measure (an unfiltered
    Measure.objects.for_user, as for the audit office): the same rows, but PostgreSQL no longer hashes
    ~100k measures to check that each report's measure exists (it always does: a non-null foreign key)."""
    measures = Measure.objects.for_user(user)
    if measures.query.where or measures.query.is_empty():
        return MeasureReport.objects.for_user(user)
    return MeasureReport.objects.all()


def awaiting_review(*, user) -> list[dict]:
    """The oldest LIST_LIMIT submitted reports, as the columns its table shows: no model instances (seven
    per row with their joins). Their number is awaiting_review_count's, apart: counted on these rows (a
    window), it joined every submitted report first (34 ms at 30,000 measures, 284 ms at 300,000); the
    rows alone stop at LIST_LIMIT in report_awaiting_review_idx, and the count reads that index only."""
    return list(
        _visible_reports(user)
        .filter(state=ReportState.SUBMITTED)
        .order_by("approved_at")
        .values(
            "pk",
            "state",
            "measure_id",
            "approved_at",
            code=F("measure__finding__code"),
            bureau=F("measure__section__bureau__name"),
            section_name=F("measure__section__name"),
            status_label=F("status__label"),
            approver_last=F("approved_by__last_name"),
            approver_first=F("approved_by__first_name"),
            approver_username=F("approved_by__username"),
        )[:LIST_LIMIT]
    )


def awaiting_review_count(*, user) -> int:
    return _visible_reports(user).filter(state=ReportState.SUBMITTED).count()


OVERDUE_AGES = (30, 90, 180, 365)  # the overdue chart's bands: up to 30 days past the reply-by date, 31–90 …
TREND_LIMIT = 12  # publications drawn in the 措置済率 trend (the latest ones)


def dashboard(*, user, today: datetime.date, report=None, reports=None):
    """Counts for the audit office, for every report or the chosen ones (`reports`: pks; `report`:
    one pk, as before). Each figure comes from one grouped query; columns are the city's status
    codes and kinds (FindingKindLabel), never a label."""
    if report is not None:
        reports = [report]
    statuses = list(MeasureStatus.objects.order_by("order"))
    findings = Finding.objects.for_user(user)
    if reports:
        findings = findings.filter(report_id__in=reports)
    every = not reports and not (findings.query.where or findings.query.is_empty())  # every finding
    # 1) findings by 区分 × derived status: for every finding, the FindingStatusCount rows refresh keeps
    #    (kinds × statuses); otherwise one grouped query over the stored status codes, read from the index
    #    (kind, status_code) alone (no ordering: Finding's Meta.ordering would join the report)
    if every:
        grouped = FindingStatusCount.objects.filter(findings__gt=0).values_list("kind", "status_code", "findings")
    else:
        grouped = (
            findings.order_by()
            .values("kind", "status_code")
            .annotate(n=Count("*"))
            .values_list("kind", "status_code", "n")
        )
    by_kind = Counter()
    for kind, code, n in grouped:
        by_kind[(kind, code)] += n
    codes = [""] + [s.code for s in statuses]
    labels = [UNASSIGNED] + [s.label for s in statuses]
    done_codes = [s.code for s in statuses if s.is_done]
    # the city's kinds in their order (always shown), then any other kind the reports use; the kinds the
    # city does not count (counted_in_status off) are shown but left out of 計 and the 措置済率
    kinds = kind_summary(by_kind, codes, done_codes, uncounted=True)
    table = [
        {"kind": r.label, "code": r.code, "counted": r.counted, "cells": r.counts, "total": r.total} for r in kinds.rows
    ]
    totals, n_all, n_done = kinds.totals, kinds.n_findings, kinds.n_done
    # 2) measures by section × status: one grouped query over the measure table's own columns (section,
    #    status, reply_by); the names and the done/closed meaning are joined in Python afterwards.
    measures = Measure.objects.for_user(user)
    if reports:
        measures = measures.filter(finding__report_id__in=reports)
    if not reports and not (measures.query.where or measures.query.is_empty()):
        per_section = _per_section_from_counts(statuses=statuses, today=today)  # every measure: the kept counts
    else:
        per_section = _per_section(measures, statuses=statuses, today=today)
    # 3) overdue measures (one query with the joins the table shows)
    late = measures.overdue(today)
    overdue = overdue_rows(late)
    return {
        "labels": labels,
        "codes": codes,
        "table": table,
        "totals": totals,
        "n_findings": n_all,
        "n_done": n_done,
        "done_codes": done_codes,
        "done_rate": (n_done / n_all * 100) if n_all else None,
        "per_section": per_section,
        "overdue": overdue,
        "n_overdue": sum(r["overdue"] for r in per_section),
        "list_limit": LIST_LIMIT,
        # 4) the charts' own figures: findings by 局 × status, overdue findings by age, the trend
        "by_bureau": (
            _findings_by_bureau_from_counts(statuses=statuses)  # every measure: the kept counts
            if not reports and not (measures.query.where or measures.query.is_empty())
            else _findings_by_bureau(measures, statuses=statuses)
        ),
        "overdue_ages": (
            _overdue_ages_from_findings(today=today)  # every measure: the findings' kept earliest dates
            if not reports and not (measures.query.where or measures.query.is_empty())
            else _overdue_ages(late, today=today)
        ),
        "trend": _done_rate_trend(reports),
        "trend_limit": TREND_LIMIT,
    }


def _findings_by_bureau_from_counts(*, statuses) -> list[dict]:
    """_findings_by_bureau's rows for every measure, from the BureauFindingCount rows the services keep
    (findings.status.keep_bureau_counts): 局 × statuses rows, not every measure joined to its finding."""
    grouped = (
        BureauFindingCount.objects.filter(findings__gt=0)
        .order_by()
        .values_list("bureau_id", "bureau__name", "bureau__order", "status_code", "findings")
    )
    return _bureau_rows(grouped, statuses=statuses)


def _findings_by_bureau(measures, *, statuses) -> list[dict]:
    """Findings by the 局 they are assigned in × their status (a finding assigned in two 局 counts in
    both), as rows {bureau_id, name, cells: [per status, in order], total}, in the organisation's
    order: one grouped query over the measures joined to their section, bureau and finding."""
    grouped = (
        measures.order_by()
        .values("section__bureau_id", "finding__status_code")
        .annotate(n=Count("finding_id", distinct=True))
        .values_list(
            "section__bureau_id", "section__bureau__name", "section__bureau__order", "finding__status_code", "n"
        )
    )
    return _bureau_rows(grouped, statuses=statuses)


def _bureau_rows(grouped, *, statuses) -> list[dict]:
    """(bureau id, name, order, status code, findings) groups as the chart's rows, in the organisation's order."""
    index = {s.code: i for i, s in enumerate(statuses)}
    rows: dict[int, dict] = {}
    for bureau_id, name, order, code, n in grouped:
        row = rows.setdefault(
            bureau_id, {"bureau_id": bureau_id, "name": name, "order": order, "cells": [0] * len(statuses)}
        )
        if code in index:  # a finding with a measure always has a status code
            row["cells"][index[code]] += n
    result = sorted(rows.values(), key=lambda r: (r["order"], r["name"], r["bureau_id"]))
    for r in result:
        r["total"] = sum(r["cells"])
    return result


def _overdue_ages_from_findings(*, today) -> list[dict]:
    """_overdue_ages for every measure, from FindingReplyByCount (kept by findings.status.refresh): a
    finding's oldest overdue measure is its open measure with the earliest reply-by date
    (Finding.open_reply_by), when that date is before today; the rows count findings per such date (one
    row a date), so the bands sum a few hundred rows, not every overdue finding."""
    late = FindingReplyByCount.objects.filter(open_reply_by__lt=today)
    return _age_rows(late, "open_reply_by", "findings", today=today, counted_by=Sum)


def _overdue_ages(late, *, today) -> list[dict]:
    """Findings with an overdue measure, by how long their oldest overdue measure is past its reply-by
    date: [{label, n, days_from, days_to}] for 1–30, 31–90, 91–180, 181–365 days and over 365. One
    query: the oldest date per finding, counted per band over that subquery."""
    oldest = late.order_by().values("finding_id").annotate(oldest=Min("reply_by"))
    return _age_rows(oldest, "oldest", "finding_id", today=today)


def _age_rows(rows, date: str, counted: str, *, today, counted_by=Count) -> list[dict]:
    """The bands of _overdue_ages over `rows`, each a finding with its oldest overdue date in `date`
    (counted_by=Sum: each row a number of findings, in `counted`)."""
    bounds = [0, *OVERDUE_AGES]
    bands = {
        f"b{i}": counted_by(
            counted,
            filter=Q(**{f"{date}__lt": today - datetime.timedelta(days=lo)})
            & Q(**{f"{date}__gte": today - datetime.timedelta(days=hi)}),
        )
        for i, (lo, hi) in enumerate(itertools.pairwise(bounds))
    }
    bands["over"] = counted_by(counted, filter=Q(**{f"{date}__lt": today - datetime.timedelta(days=OVERDUE_AGES[-1])}))
    counts = {k: n or 0 for k, n in rows.aggregate(**bands).items()}  # Sum over no row: None
    rows = [
        {"label": f"{lo + 1}〜{hi}日", "n": counts[f"b{i}"], "days_from": lo + 1, "days_to": hi}
        for i, (lo, hi) in enumerate(itertools.pairwise(bounds))
    ]
    rows.append(
        {"label": f"{OVERDUE_AGES[-1]}日超", "n": counts["over"], "days_from": OVERDUE_AGES[-1] + 1, "days_to": None}
    )
    return rows


def _done_rate_trend(reports) -> list[dict]:
    """The 措置済率 of the latest TREND_LIMIT publications (of the chosen reports, or all), oldest
    first, as each one published it: n_done / max(n_findings, n_stated) of its snapshot. The figures
    are read out of the JSON in SQL (a snapshot holds every row: never loaded here)."""
    publications = Publication.objects.all()
    if reports:
        publications = publications.filter(
            pk__in=Publication.reports.through.objects.filter(auditreport_id__in=reports).values("publication_id")
        )
    rows = list(
        publications.order_by("-number").values(
            "number",
            "published_on",
            "as_of",
            n_done=KT("snapshot__n_done"),
            n_findings=KT("snapshot__n_findings"),
            n_stated=KT("snapshot__n_stated"),
        )[:TREND_LIMIT]
    )
    trend = []
    for r in reversed(rows):
        n_done, n_basis = int(r["n_done"] or 0), max(int(r["n_findings"] or 0), int(r["n_stated"] or 0))
        trend.append(
            {
                "number": r["number"],
                "published_on": r["published_on"],
                "as_of": r["as_of"],
                "n_done": n_done,
                "n_basis": n_basis,
                "rate": n_done / n_basis * 100 if n_basis else None,
            }
        )
    return trend


def _per_section(measures, *, statuses, today) -> list[dict]:
    """Rows {section__bureau__name, section__name, total, done, closed, overdue} in the organisation's
    order, aggregated from these measures (a report's, or a scope): by (section, status) first, and
    only the groups joined to the section and bureau names, in one query."""
    grouped = (
        measures.order_by()
        .values("section_id", "status_id")
        # late: overdue_q's date part; its open part is the status, applied per group in Python
        .annotate(n=Count("pk"), late=Count("pk", filter=Q(reply_by__lt=today)))
        .values_list("section_id", "status_id", "n", "late")
    )
    return _named_section_rows(grouped, statuses=statuses)


def _per_section_from_counts(*, statuses, today) -> list[dict]:
    """The same rows for every measure, from the MeasureCount rows the services keep (findings.status):
    totals by (section, status), overdue = the months before this one plus this month's measures due
    before today (the one part that depends on today's date, read from measure_reply_by_idx)."""
    month = today.replace(day=1)
    grouped = (
        MeasureCount.objects.order_by()
        .values("section_id", "status_id")
        .annotate(n=Sum("measures"), late=Coalesce(Sum("measures", filter=Q(reply_month__lt=month)), 0))
        .values_list("section_id", "status_id", "n", "late")
    )
    this_month = {
        (r["section_id"], r["status_id"]): r["n"]
        for r in Measure.objects.filter(reply_by__gte=month, reply_by__lt=today)
        .order_by()
        .values("section_id", "status_id")
        .annotate(n=Count("pk"))
    }
    return _named_section_rows(grouped, statuses=statuses, more_late=this_month)


def _named_section_rows(grouped, *, statuses, more_late=None) -> list[dict]:
    """(section_id, status_id, n, late) groups joined to the ~1,000 sections' and bureaus' names in one
    query (joining every measure to its section and bureau before grouping took three times as long).
    Done/closed are the statuses' flags, in Python; late counts only for open statuses."""
    inner, params = grouped.query.sql_with_params()
    q = connection.ops.quote_name
    section, bureau = Section._meta.db_table, Bureau._meta.db_table
    sql = (
        # the inner query names its columns section_id, status_id, n, late (the values_list above)
        f"SELECT b.{q('name')}, b.{q('order')}, s.{q('name')}, s.{q('order')}, g.{q('section_id')}, "
        f"g.{q('status_id')}, g.{q('n')}, g.{q('late')} FROM ({inner}) g "  # noqa: S608
        f"INNER JOIN {q(section)} s ON s.{q('id')} = g.{q('section_id')} "
        f"INNER JOIN {q(bureau)} b ON b.{q('id')} = s.{q('bureau_id')}"
    )
    by_pk = {s.pk: s for s in statuses}
    more_late = more_late or {}
    rows: dict[tuple, dict] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for bureau_name, bureau_order, name, order, section_id, status_id, n, late in cursor.fetchall():
            status = by_pk[status_id]
            row = rows.setdefault(
                (bureau_order, order, bureau_name, name),
                {
                    "section_id": section_id,
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
            row["overdue"] += 0 if status.is_closed else late + more_late.get((section_id, status_id), 0)
    return [rows[key] for key in sorted(rows)]
