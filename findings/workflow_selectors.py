"""Reads of the follow-up workflow: measure pages and work lists (the dashboard's are dashboard_selectors')."""

import datetime

from django.core.paginator import Paginator
from django.db.models import (
    Case,
    Count,
    F,
    FilteredRelation,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber

from auditreg import access
from auditreg.models import ChangeLog, Section

from .access import evidence_for, measure_for
from .choices import OPEN_REPORT_STATES, ReportState
from .models import (
    EvidenceFile,
    Finding,
    Measure,
    MeasureReport,
    MeasureStatus,
    overdue_q,
)
from .selectors import FINDING_LONG_TEXTS

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
    measure = measure_for(
        user,
        pk,
        queryset=Measure.objects.select_related(
            "finding__report", "section__bureau", "status", "assigned_by"
        ).prefetch_related(
            Prefetch(
                "reports",
                queryset=MeasureReport.objects.select_related(
                    "status", "drafted_by", "last_edited_by", "approved_by", "reviewed_by", "section"
                ).order_by("drafted_at", "pk"),
            ),
            Prefetch("evidence", queryset=EvidenceFile.objects.select_related("uploaded_by").order_by("uploaded_at")),
        ),
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
        Measure.objects.for_user(user)
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
    if access.sees_all(user):
        return list(entries)
    visible = set(Measure.objects.for_user(user).filter(finding=finding).values_list("pk", flat=True))
    report_ids = set(MeasureReport.objects.filter(measure_id__in=visible).values_list("pk", flat=True))
    return [
        e
        for e in entries
        if (e.object_type == "findings.measure" and e.object_id in visible)
        or (e.object_type == "findings.measurereport" and e.object_id in report_ids)
        or (e.object_type == "findings.finding" and e.object_id == finding.pk)
    ]


def evidence_for_download(*, user, pk) -> EvidenceFile:
    return evidence_for(user, pk, queryset=EvidenceFile.objects.select_related("measure"))


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
    "accepted_report_id",
)


GROUP_LIMIT = 50  # rows listed per work-list group (the heading counts them all)
WORKLIST_PAGE_SIZE = 100
WORKLIST_ORDER = ("reply_by", "finding__report_id", "finding__order", "pk")
# the work-list groups by what the section has to do (open report's state) and by the deadline
STATE_GROUPS = ("returned", "awaiting_approval", "submitted")
# "reported": an accepted report, the measure still open (措置中 …) and nothing new under way: the section
# has reported, so it is not 未報告 (due_soon, to_do); past its reply-by date it stays "overdue", as on
# the dashboard and in the reminders (MeasureQuerySet.overdue)
TIME_GROUPS = ("closed", "overdue", "reported", "due_soon", "to_do")


def _worklist_grouped(measures, *, today: datetime.date, due_days: int):
    """The scoped measures classified in SQL: the open report's state (at most one open report per
    measure) and two group names, each measure being in at most one group of each kind, with its rank
    and its group's size as window functions, so only the first GROUP_LIMIT of each group are fetched."""
    # the open report by a join (at most one per measure: constraint report_one_open_per_measure), not
    # a subquery: Django repeats an annotation's subquery in every CASE branch, and the estimated cost
    # of seven subplans per row crossed PostgreSQL's JIT threshold (180 ms compiling for 400 rows)
    state = Coalesce(F("open_report__state"), Value(""))
    by_state = Case(
        # returned by the audit office or handed back within the section (課内差戻し)
        When(open_state__in=[ReportState.RETURNED, ReportState.REVISING], then=Value("returned")),
        When(open_state=ReportState.DRAFT, then=Value("awaiting_approval")),
        When(open_state=ReportState.SUBMITTED, then=Value("submitted")),
        default=Value(""),
    )
    by_time = Case(
        When(status__is_closed=True, then=Value("closed")),
        When(overdue_q(today) & ~Q(open_state=ReportState.SUBMITTED), then=Value("overdue")),
        When(Q(accepted_report__isnull=False, open_state=""), then=Value("reported")),
        When(Q(reply_by__lte=today + datetime.timedelta(days=due_days), open_state=""), then=Value("due_soon")),
        When(open_state="", then=Value("to_do")),
        default=Value(""),
    )
    order = [F(f).asc(nulls_last=True) if f == "reply_by" else F(f).asc() for f in WORKLIST_ORDER]
    return (
        measures.annotate(open_report=FilteredRelation("reports", condition=Q(reports__state__in=OPEN_REPORT_STATES)))
        .annotate(open_state=state)
        .annotate(state_group=by_state, time_group=by_time)
        .annotate(
            state_rank=Window(RowNumber(), partition_by=[F("state_group")], order_by=order),
            state_size=Window(Count("*"), partition_by=[F("state_group")]),
            time_rank=Window(RowNumber(), partition_by=[F("time_group")], order_by=order),
            time_size=Window(Count("*"), partition_by=[F("time_group")]),
        )
        .filter(Q(state_rank__lte=GROUP_LIMIT) | Q(time_rank__lte=GROUP_LIMIT))
        .order_by(*order)
    )


def _section_return_comment():
    """The comment of a report's latest 課内差戻し (ChangeLog, index object_type + object_id), as a column."""
    return Subquery(
        ChangeLog.objects.filter(
            object_type=MeasureReport._meta.label_lower, object_id=OuterRef("pk"), action="report.section_returned"
        )
        .order_by("-pk")
        .values("comment")[:1]
    )


def return_comment(report) -> str:
    """What a section must fix in a report handed back to it: the audit office's comment (差戻し) or the
    approver's (課内差戻し, annotated by the work list); "" in any other state."""
    if report.state == ReportState.RETURNED:
        return report.review_comment
    if report.state == ReportState.REVISING:
        return getattr(report, "section_return_comment", None) or ""
    return ""


def worklist(*, user, today: datetime.date, due_days: int = 14, page=None):
    """A section's work list: the groups (returned, awaiting approval, submitted; overdue, reported,
    due soon, to do, closed), each {"rows": its first GROUP_LIMIT measures, "count": all of them}, and one page
    of all its measures. Returns (page, groups, sections by id: the rows' sections and the user's own).

    Everything is cut in SQL (window functions for the groups, LIMIT/OFFSET for the page), so the
    page costs the same queries and about the same time whatever the section's size; the statuses
    and the few sections are loaded once and shared by the rows, the open reports (at most one per
    measure) come from one query by the shown rows' ids."""
    statuses = {s.pk: s for s in MeasureStatus.objects.all()}
    scoped = (
        Measure.objects.for_user(user)
        .select_related("finding")
        .only(*WORKLIST_COLUMNS)
        .annotate(fiscal_year=F("finding__report__fiscal_year"))
    )
    grouped = list(_worklist_grouped(scoped, today=today, due_days=due_days))
    paginator = Paginator(scoped.order_by(*WORKLIST_ORDER), WORKLIST_PAGE_SIZE)
    page = paginator.get_page(page)
    rows = grouped + list(page.object_list)
    wanted = {m.section_id for m in rows} | ({user.section_id} if user.section_id else set())
    sections = Section.objects.select_related("bureau").in_bulk(wanted)
    open_reports = {
        r.measure_id: r
        for r in MeasureReport.objects.filter(state__in=OPEN_REPORT_STATES, measure_id__in={m.pk for m in rows})
        .select_related("last_edited_by", "status")
        .defer("text", "reason")
        .annotate(section_return_comment=_section_return_comment())
    }
    groups = {name: {"rows": [], "count": 0} for name in STATE_GROUPS + TIME_GROUPS}
    for m in rows:
        m.section, m.status = sections[m.section_id], statuses[m.status_id]
        m.open_report = open_reports.get(m.pk)
        if m.open_report is not None:
            m.open_report.return_comment = return_comment(m.open_report)
    for m in grouped:
        for name, rank, size in (
            (m.state_group, m.state_rank, m.state_size),
            (m.time_group, m.time_rank, m.time_size),
        ):
            if name and rank <= GROUP_LIMIT:
                groups[name]["rows"].append(m)
                groups[name]["count"] = size
    page.object_list = list(page.object_list)
    return page, groups, sections
