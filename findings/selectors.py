"""Reads of findings: each selector scopes (through auditreg.access) and joins what its page shows."""

from django.db.models import BigIntegerField, Count, Exists, F, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Cast, Coalesce
from django.shortcuts import get_object_or_404

from auditreg import access
from budgets.models import CoreCityComparison

from . import access as finding_access
from . import compiled_sql
from .choices import ReportState, SubjectKind
from .models import (
    AuditReport,
    Finding,
    FindingSection,
    FindingSubject,
    Measure,
    MeasureReport,
    MeasureStatus,
    Publication,
    TextRepair,
)
from .status import UNASSIGNED

# The verbatim texts (kilobytes per finding) and the report's JSON columns: no list or table shows
# them, so list queries leave them in the database (prefix with the path to Finding when joined).
FINDING_LONG_TEXTS = ("detected", "problem", "recommendation", "recorded_measure", "search_text")
REPORT_UNSHOWN = ("assistants", "stated_counts", "legal_basis", "source")


def unshown_finding_columns(prefix: str = "") -> list[str]:
    return [prefix + f for f in FINDING_LONG_TEXTS] + [f"{prefix}report__{f}" for f in REPORT_UNSHOWN]


def status_label_annotation():
    """The derived status's current label (labels are renamable data), read in the rows' own query
    instead of a separate query for the MeasureStatus table: "" (未割当) has no row."""
    return Coalesce(
        Subquery(MeasureStatus.objects.filter(code=OuterRef("status_code")).order_by().values("label")[:1]),
        Value(UNASSIGNED),
    )


# newest report first (令和6年度 before 令和3年度), then the report's own order; served by the index
# report_fiscal_year_idx read backwards
ORDERS = ("-report__fiscal_year", "-report_id", "order")


def annotate_follow_up(queryset, *, measures, today):
    """Each finding's nearest reply-by date (the earliest of its open measures in `measures`) and
    whether one of them is overdue (MeasureQuerySet.overdue, the one definition), in the rows' own
    query: two correlated subqueries on the measures' (finding, section) index, no extra query."""
    open_dated = measures.open().filter(finding_id=OuterRef("pk")).exclude(reply_by=None)
    return queryset.annotate(
        nearest_reply_by=Subquery(open_dated.order_by("reply_by").values("reply_by")[:1]),
        is_overdue=Exists(measures.overdue(today).filter(finding_id=OuterRef("pk"))),
    )


def _organisation_key(model, prefix):
    """The first section of a finding's rows of `model` in the organisation's order, as one number."""
    return (
        model.filter(finding_id=OuterRef("pk"))
        .annotate(org_key=Cast(F(f"{prefix}bureau__order"), BigIntegerField()) * 1_000_000 + F(f"{prefix}order"))
        .order_by("org_key")
        .values("org_key")[:1]
    )


def order_by_organisation(queryset, *, measures):
    """By the first assigned section in the organisation's order (局 order, then the section's place),
    findings not assigned yet by the first section the report names, those with neither last; then
    newest report first and the report's order."""
    key = Coalesce(
        Subquery(_organisation_key(measures, "section__")),
        Subquery(_organisation_key(FindingSection.objects.all(), "section__")),
    )
    return queryset.annotate(org_key=key).order_by(F("org_key").asc(nulls_last=True), *ORDERS)


ROW_COLUMNS = ("src", "finding_id", "a", "b", "k1", "k2")
ASSIGNED, NAMED, SUBJECTS = 0, 1, 2


def _section_part(queryset, src):
    return (
        queryset.order_by()
        .annotate(
            src=Value(src),
            a=F("section__bureau__name"),
            b=F("section__name"),
            k1=F("section__bureau__order"),
            k2=F("section__order"),
        )
        .values_list(*ROW_COLUMNS)
    )


def _page_rows_query(user, ids, subjects: bool):
    """One UNION: the user's visible measures' sections (src 0), the report's named sections (1) and,
    with `subjects`, the findings' subjects (2: the project's or system's name, else the kind)."""
    parts = [
        _section_part(Measure.objects.for_user(user).filter(finding_id__in=ids), ASSIGNED),
        _section_part(FindingSection.objects.filter(finding_id__in=ids), NAMED),
    ]
    if subjects:
        parts.append(
            FindingSubject.objects.filter(finding_id__in=ids)
            .order_by()
            .annotate(
                src=Value(SUBJECTS),
                a=Coalesce("project__name", "system__name"),
                b=F("kind"),
                k1=F("order"),
                k2=F("pk"),
            )
            .values_list(*ROW_COLUMNS)
        )
    return parts[0].union(*parts[1:]).order_by("finding_id", "src", "k1", "k2")


def follow_up_sections(*, user, finding_ids, subjects: bool = False, slots: int = 0) -> dict:
    """finding id -> (assigned sections, sections the report names), each "局 課" in the organisation's
    order, and with `subjects` a third list, the subjects' names (FindingSubject order; a subject with
    neither project nor system by its kind's label), in one query: the list page's and the CSV
    export's 対象 and 所管課 columns. With `slots` (the list's page size) the query is compiled once
    per user scope and number of ids up to `slots` (findings.compiled_sql)."""
    ids = list(finding_ids)
    found: dict = {i: ([], [], []) if subjects else ([], []) for i in ids}
    if not ids:
        return found
    key = ("follow_up_sections", subjects, compiled_sql.user_key(user))
    for src, finding_id, a, b, *_ in compiled_sql.rows(
        key, lambda some: _page_rows_query(user, some, subjects), ids, slots=slots
    ):
        if src == SUBJECTS:
            found[finding_id][src].append(a if a is not None else SubjectKind(b).label)
        else:
            found[finding_id][src].append(f"{a} {b}")
    return found


def finding_list(*, user, filterset_class, data):
    """Returns the bound filterset; its `.qs` is the scoped, filtered, joined list. Derived statuses
    are computed for the rows shown only (Finding.status_code, kept by the services), so that counting and paging
    never aggregate over every measure. The order (newest report first, then the report's order, ORDERS) is
    served by the index report_fiscal_year_idx: PostgreSQL reads the first reports in order and sorts within
    them only. The filterset adds the reply-by columns and the chosen order (FindingFilterSet._follow_up)."""
    base = (
        Finding.objects.for_user(user)
        .select_related("report", "group")
        .defer(*unshown_finding_columns())
        .annotate(status_label=status_label_annotation())
        .prefetch_related(
            Prefetch(
                "report_sections",
                queryset=FindingSection.objects.select_related("section__bureau").order_by(
                    "section__bureau__order", "section__order"
                ),
            ),
            Prefetch(
                "subjects",
                queryset=FindingSubject.objects.select_related("project", "system").order_by("order"),
            ),
        )
        .order_by(*ORDERS)
    )
    return filterset_class(data, queryset=base, user=user)


def finding_detail(*, user, pk) -> Finding:
    finding = get_object_or_404(
        Finding.objects.for_user(user)
        .select_related("report", "group")
        .prefetch_related(
            Prefetch(
                "subjects",
                queryset=FindingSubject.objects.select_related(
                    "project__section__bureau", "project__line__field", "system__section__bureau"
                ).order_by("order"),
            ),
            Prefetch(
                "report_sections",
                queryset=FindingSection.objects.select_related("section__bureau").order_by(
                    "section__bureau__order", "section__order"
                ),
            ),
        ),
        pk=pk,
    )
    # how the text was extracted and repaired: for the audit office and admins only (出典と修復)
    finding.repairs = (
        list(
            TextRepair.objects.filter(report=finding.report, file="findings.yaml", record=finding.code).order_by(
                "order"
            )
        )
        if access.sees_all(user)
        else []
    )
    return finding


def report_list():

    return AuditReport.objects.annotate(
        n_findings=Count("findings"),
        n_shiteki=Count("findings", filter=Q(findings__kind="指摘")),
        n_iken=Count("findings", filter=Q(findings__kind="意見")),
    ).order_by("-fiscal_year", "code")


def report_detail(*, code):

    report = get_object_or_404(AuditReport.objects.prefetch_related("earlier_reports", "later_reports"), code=code)
    # counts by 区分 × 分野 in one grouped query
    report.counts = list(report.findings.values("kind", "area").annotate(n=Count("pk")).order_by("-kind", "area"))
    report.core_city_tables = core_city_tables(report)
    return report


def core_city_tables(report):
    """第3 dashboard comparison as [(table, cities, [(item, [value per city])])], in printed order."""

    tables: dict[str, dict] = {}
    for cell in CoreCityComparison.objects.filter(report=report).order_by("id"):
        table = tables.setdefault(cell.table, {"cities": [], "rows": {}})
        if cell.city not in table["cities"]:
            table["cities"].append(cell.city)
        table["rows"].setdefault(cell.item, {})[cell.city] = cell.value
    return [
        (name, t["cities"], [(item, [values.get(c, "") for c in t["cities"]]) for item, values in t["rows"].items()])
        for name, t in tables.items()
    ]


def published_status_labels(report_ids) -> dict[tuple[int, str], tuple[str, int]]:
    """(report id, finding code) -> (status label, publication number) as last published (公表). A
    publication by section gives one row per section: the finding's status is then its least advanced.
    Snapshots hold status codes (a label renamed since still shows the status published); older
    snapshots that hold only the label are read through the current labels."""

    statuses = list(MeasureStatus.objects.all())
    order = {s.code: s.order for s in statuses}
    label_of = {s.code: s.label for s in statuses}
    code_of = {s.label: s.code for s in statuses}
    found: dict[tuple[int, str], tuple[str, int]] = {}
    publications = (
        Publication.objects.filter(reports__in=list(report_ids))
        .distinct()
        .order_by("-published_on", "-number")
        .prefetch_related("reports")
    )
    for publication in publications:
        codes = {r.code: r.pk for r in publication.reports.all()}
        this: dict[tuple[int, str], str] = {}
        for row in publication.snapshot.get("rows", []):
            report_id = codes.get(row.get("report_code"))
            if report_id is None:
                continue
            key = (report_id, row.get("code"))
            code = row["status_code"] if "status_code" in row else code_of.get(row.get("status") or "", "")
            if key not in this or order.get(code, 0) < order.get(this[key], 0):
                this[key] = code
        for key, code in this.items():
            found.setdefault(key, (label_of.get(code, UNASSIGNED) if code else UNASSIGNED, publication.number))
    return found


def scope_statuses(*, user, findings) -> None:
    """What a section user may know of each finding's status: the current one for findings assigned to
    their section (a 局の代決者: to a section of their 局), for the others the last published one (never
    progress not yet published). Sets f.status_label and f.status_published_in (the publication number,
    or None for the current status) on the rows given; the audit office sees every current status."""
    findings = list(findings)
    for f in findings:
        f.status_published_in = None
    if not findings or access.sees_all(user):
        return
    # the findings assigned to the user's section (a 局の代決者: to a section of their 局)
    own = set(
        Measure.objects.for_user(user)
        .filter(finding_id__in=[f.pk for f in findings])
        .values_list("finding_id", flat=True)
    )
    others = [f for f in findings if f.pk not in own]
    if not others:
        return
    published = published_status_labels({f.report_id for f in others})
    for f in others:
        label, number = published.get((f.report_id, f.code), ("未公表", None))
        f.status_label, f.status_published_in = label, number


def bureau_drafts(*, user) -> list[MeasureReport]:
    """The drafts (作成中) of the measures the user sees (a 局の代決者: every section of their 局), in
    organisation order, each with `can_approve` (false for a draft the user wrote: 指摘01), in two queries."""
    drafts = list(
        MeasureReport.objects.filter(state=ReportState.DRAFT)
        .for_user(user)
        .select_related("measure__finding__report", "measure__section", "drafted_by", "last_edited_by", "status")
        .order_by("measure__section__order", "measure__finding__report__fiscal_year", "measure__finding__order", "pk")
    )
    edited = finding_access.edited_since_hand_back(user, [r.pk for r in drafts])
    for r in drafts:
        r.can_approve = not finding_access.has_written(r, user, edited=edited)
    return drafts
