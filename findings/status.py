"""A finding's status, derived from its measures (one per assigned section):

- no measure yet                      -> 未割当
- every measure 措置済                 -> 措置済 (only when all its sections are done)
- every measure closed, some 措置しない -> 措置しない
- otherwise                           -> the least advanced status among the open measures
"""

from collections import Counter
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, Min, OuterRef, Q, Subquery
from django.db.models.functions import TruncMonth

from auditreg.models import Section

from .models import (
    BureauFindingCount,
    Finding,
    FindingBureau,
    FindingKindLabel,
    FindingReplyByCount,
    FindingStatusCount,
    Measure,
    MeasureCount,
    MeasureStatus,
)

UNASSIGNED = "未割当"


@dataclass
class KindRow:
    code: str
    label: str
    counted: bool  # the city counts this kind in 計 and the 措置済率 (FindingKindLabel.counted_in_status)
    counts: list[int]  # per status code, in the order asked
    total: int


@dataclass
class KindSummary:
    rows: list[KindRow]
    totals: list[int]  # per status code, over the counted kinds
    n_findings: int
    n_done: int
    kind_labels: dict[str, str]


def kind_summary(counted: Counter, codes: list[str], done_codes, *, uncounted: bool) -> KindSummary:
    """The 区分 × 措置状況 table, the one rule the dashboard and the 措置状況 share. `counted`: findings by
    (kind, status code). Rows: the city's kinds in its order (FindingKindLabel), then any other kind the
    reports use (counted); 計 and 措置済 over the counted kinds only. `uncounted`: also list the kinds the
    city does not count (the dashboard shows them, marked), else leave them out (the published table)."""
    kind_rows = list(
        FindingKindLabel.objects.order_by("order", "code").values_list("code", "label", "counted_in_status")
    )
    labels = {c: label for c, label, _ in kind_rows}
    counts_in = {c: flag for c, _, flag in kind_rows}
    kinds = [c for c, _, flag in kind_rows if flag or uncounted]
    kinds += sorted({k for k, _ in counted} - set(labels))  # a kind not in the city's table yet
    rows = [
        KindRow(
            code=k,
            label=labels.get(k, k),
            counted=counts_in.get(k, True),
            counts=[counted[(k, c)] for c in codes],
            total=sum(counted[(k, c)] for c in codes),
        )
        for k in kinds
    ]
    counted_kinds = [r.code for r in rows if r.counted]
    totals = [sum(counted[(k, c)] for k in counted_kinds) for c in codes]
    return KindSummary(
        rows=rows,
        totals=totals,
        n_findings=sum(totals),
        n_done=sum(counted[(k, c)] for k in counted_kinds for c in done_codes),
        kind_labels=labels,
    )


def annotate_status_parts(queryset):
    """One grouped query: what `derive` needs, per finding."""
    return queryset.annotate(
        n_measures=Count("measures", distinct=True),
        n_done=Count("measures", filter=Q(measures__status__is_done=True), distinct=True),
        n_closed=Count("measures", filter=Q(measures__status__is_closed=True), distinct=True),
        min_open_order=Min("measures__status__order", filter=Q(measures__status__is_closed=False)),
    )


def derive(*, n_measures, n_done, n_closed, min_open_order, statuses) -> str:
    """The derived status label (see derive_code for the rule)."""
    return label_of(
        derive_code(
            n_measures=n_measures, n_done=n_done, n_closed=n_closed, min_open_order=min_open_order, statuses=statuses
        ),
        statuses,
    )


def derive_for(finding, statuses) -> str:
    return derive(
        n_measures=finding.n_measures,
        n_done=finding.n_done,
        n_closed=finding.n_closed,
        min_open_order=finding.min_open_order,
        statuses=statuses,
    )


def derive_code(*, n_measures, n_done, n_closed, min_open_order, statuses) -> str:
    """The one rule (module docstring), as a status code ("" for 未割当): stored on Finding.status_code."""
    if not n_measures:
        return ""
    by_order = {s.order: s for s in statuses}
    if n_done == n_measures:
        return next(s for s in statuses if s.is_done).code
    if n_closed == n_measures:
        return next(s for s in statuses if s.is_closed and not s.is_done).code
    return by_order[min_open_order].code


def refresh(finding_ids, *, sections=(), counts: bool = True) -> None:
    """Recompute and store Finding.status_code (and open_reply_by) for these findings (called by the
    services), and keep the dashboard's counts in the caller's transaction: the MeasureCount rows of their
    measures' sections plus `sections` (those that just lost a measure), their BureauFindingCount
    (keep_bureau_counts), FindingStatusCount and FindingReplyByCount (the difference between what was
    stored and what is derived now). Every status change goes through here, so a new transition that
    refreshes the finding keeps the counts too."""

    finding_ids = sorted(set(finding_ids))
    # one transaction (the caller's, without a savepoint of its own); with the counts, the findings are
    # locked first, in id order: two transactions refreshing one finding take turns, and the second reads
    # what the first stored (the counts' differences start from it)
    with transaction.atomic(savepoint=False):
        if counts:
            list(Finding.objects.select_for_update().filter(pk__in=finding_ids).order_by("pk").values_list("pk"))
        statuses = list(MeasureStatus.objects.order_by("order"))
        parts = annotate_status_parts(Finding.objects.filter(pk__in=finding_ids).values("pk"))
        fields = ["pk", "n_measures", "n_done", "n_closed", "min_open_order"]
        if counts:  # migration 0007 refreshes with counts=False, before open_reply_by exists
            parts = parts.annotate(reply_by_now=OPEN_REPLY_BY)
            fields += ["reply_by_now", "kind", "status_code", "open_reply_by"]
        changed, kinds, dates = [], Counter(), Counter()
        for r in parts.values(*fields):
            was = (r.pop("kind", None), r.pop("status_code", None), r.pop("open_reply_by", None))
            finding = Finding(pk=r.pop("pk"), open_reply_by=r.pop("reply_by_now", None))
            finding.status_code = derive_code(statuses=statuses, **r)
            changed.append(finding)
            if counts:
                kind, code, date = was
                kinds[(kind, code)] -= 1
                kinds[(kind, finding.status_code)] += 1
                if date:
                    dates[(date,)] -= 1
                if finding.open_reply_by:
                    dates[(finding.open_reply_by,)] += 1
        Finding.objects.bulk_update(changed, ["status_code", *(["open_reply_by"] if counts else [])], batch_size=1000)
        if counts:
            touched = set(Measure.objects.filter(finding_id__in=finding_ids).values_list("section_id", flat=True))
            recount_sections(touched | set(sections))
            keep_bureau_counts(finding_ids, locked=True)
            _add_to_counts(FindingStatusCount, ("kind", "status_code"), kinds)
            _add_to_counts(FindingReplyByCount, ("open_reply_by",), dates)


# Finding.open_reply_by: the earliest reply-by date of the finding's open measures
OPEN_REPLY_BY = Min("measures__reply_by", filter=Q(measures__status__is_closed=False))


def _bureau_pairs(finding_ids=None) -> set[tuple[int, int, str]]:
    """(finding, 局, the finding's status code) for each 局 with a section that has a measure of it."""
    measures = Measure.objects.all() if finding_ids is None else Measure.objects.filter(finding_id__in=finding_ids)
    return set(measures.order_by().values_list("finding_id", "section__bureau_id", "finding__status_code").distinct())


def keep_bureau_counts(finding_ids, *, locked: bool = False) -> None:
    """Bring these findings' FindingBureau rows to their measures and status now, and add the difference
    to BureauFindingCount: what was counted for them before (their FindingBureau rows) taken back, what
    holds now added. The findings are locked first (in id order), so two transactions changing one
    finding take turns and the second sees what the first counted (locked=True: the caller's transaction
    holds their row locks already, as refresh does); the counts change in one statement per
    row, in key order (PostgreSQL locks the row: no update is lost, and no two transactions wait on each
    other's rows)."""

    ids = sorted(set(finding_ids))
    if not ids:
        return
    with transaction.atomic(savepoint=False):  # no savepoint: these rows stand or fall with the caller's
        if not locked:
            list(Finding.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
        before = set(
            FindingBureau.objects.filter(finding_id__in=ids).values_list("finding_id", "bureau_id", "status_code")
        )
        now = _bureau_pairs(ids)
        if before == now:
            return
        difference = Counter()
        for _, bureau, code in before - now:
            difference[(bureau, code)] -= 1
        for _, bureau, code in now - before:
            difference[(bureau, code)] += 1
        FindingBureau.objects.filter(finding_id__in=ids).delete()
        FindingBureau.objects.bulk_create(
            [FindingBureau(finding_id=f, bureau_id=b, status_code=code) for f, b, code in sorted(now)], batch_size=2000
        )
        _add_to_counts(BureauFindingCount, ("bureau_id", "status_code"), difference)


def _add_to_counts(model, key: tuple[str, ...], difference: Counter) -> None:
    """Add each (key values) -> n of `difference` to model's `findings` column, one statement per row in
    key order: INSERT … ON CONFLICT on the key's unique constraint (PostgreSQL and SQLite alike)."""
    rows = [(*values, n) for values, n in sorted(difference.items()) if n]
    if not rows:
        return
    quote = connection.ops.quote_name
    table, columns = quote(model._meta.db_table), ", ".join(quote(c) for c in key)
    placeholders = ", ".join(["%s"] * (len(key) + 1))
    sql = (
        f"INSERT INTO {table} ({columns}, findings) VALUES ({placeholders}) "  # noqa: S608 - our table, our columns
        f"ON CONFLICT ({columns}) DO UPDATE SET findings = {table}.findings + excluded.findings"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def rebuild_bureau_counts() -> None:
    """Recount every finding's FindingBureau rows and BureauFindingCount (after a bulk load, or a section
    moved to another 局 in the admin: the kept rows name the 局 the finding's sections were in)."""

    with transaction.atomic():
        FindingBureau.objects.all().delete()
        BureauFindingCount.objects.all().delete()
        pairs = _bureau_pairs()
        FindingBureau.objects.bulk_create(
            [FindingBureau(finding_id=f, bureau_id=b, status_code=code) for f, b, code in pairs], batch_size=5000
        )
        counted = Counter((bureau, code) for _, bureau, code in pairs)
        BureauFindingCount.objects.bulk_create(
            [BureauFindingCount(bureau_id=b, status_code=code, findings=n) for (b, code), n in counted.items()]
        )


def recount_sections(section_ids) -> None:
    """Bring the MeasureCount rows of these sections to a recount of their measures, writing only the
    rows that differ (deleted, changed, new): at 300,000 measures a bulk action's 213 sections hold 17,298
    rows, which deleting and inserting all over again took 1.4 s. The sections' rows are locked first (in
    id order), so two transactions recounting a section run one after the other and the second counts
    what the first committed."""

    ids = sorted(section_ids)
    if not ids:
        return
    with transaction.atomic(savepoint=False):  # no savepoint: these rows stand or fall with the caller's
        list(Section.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
        now = {
            (r["section_id"], r["status_id"], r["reply_month"]): r["measures"]
            for r in Measure.objects.filter(section_id__in=ids)
            .annotate(reply_month=TruncMonth("reply_by"))
            .values("section_id", "status_id", "reply_month")
            .annotate(measures=Count("pk"))
            .order_by()
        }
        kept = {
            (section, status, month): (pk, n)
            for pk, section, status, month, n in MeasureCount.objects.filter(section_id__in=ids).values_list(
                "pk", "section_id", "status_id", "reply_month", "measures"
            )
        }
        gone = [pk for key, (pk, _) in kept.items() if key not in now]
        changed = [MeasureCount(pk=pk, measures=now[key]) for key, (pk, n) in kept.items() if now.get(key, n) != n]
        new = [
            MeasureCount(section_id=section, status_id=status, reply_month=month, measures=n)
            for (section, status, month), n in now.items()
            if (section, status, month) not in kept
        ]
        if gone:
            MeasureCount.objects.filter(pk__in=gone).delete()
        MeasureCount.objects.bulk_update(changed, ["measures"], batch_size=1000)
        MeasureCount.objects.bulk_create(new, batch_size=2000)


def rebuild_counts() -> None:
    """Recount every section's MeasureCount rows, every 局's BureauFindingCount and every finding's
    open_reply_by (after a bulk load that bypasses the services)."""

    with transaction.atomic():
        MeasureCount.objects.all().delete()
        recount_sections(Section.objects.values_list("pk", flat=True))
        rebuild_bureau_counts()
        Finding.objects.update(open_reply_by=_open_reply_by_of_each())
        recount_findings()


def recount_findings() -> None:
    """Recount FindingStatusCount and FindingReplyByCount from the findings' stored kind, status and
    open_reply_by (after an import: it creates, changes and deletes findings past refresh). On PostgreSQL
    both tables are locked first (EXCLUSIVE: reads go on), so a refresh running meanwhile adds its
    difference either before (this waits for it, then counts what it committed) or after this recount
    (it waits, and moves what this counted)."""

    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            tables = ", ".join(
                connection.ops.quote_name(m._meta.db_table) for m in (FindingStatusCount, FindingReplyByCount)
            )
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")  # noqa: S608 - our tables
        FindingStatusCount.objects.all().delete()
        FindingReplyByCount.objects.all().delete()
        findings = Finding.objects.order_by()
        FindingStatusCount.objects.bulk_create(
            FindingStatusCount(**row)
            for row in findings.values("kind", "status_code").annotate(findings=Count("*")).order_by()
        )
        FindingReplyByCount.objects.bulk_create(
            FindingReplyByCount(**row)
            for row in findings.filter(open_reply_by__isnull=False)
            .values("open_reply_by")
            .annotate(findings=Count("*"))
            .order_by()
        )


def _open_reply_by_of_each():
    """Finding.open_reply_by for each finding (a correlated subquery: an UPDATE of every finding)."""
    return Subquery(
        Measure.objects.filter(finding=OuterRef("pk"), status__is_closed=False)
        .order_by()
        .values("finding")
        .annotate(earliest=Min("reply_by"))
        .values("earliest")
    )


def label_of(code: str, statuses) -> str:
    if not code:
        return UNASSIGNED
    return next(s.label for s in statuses if s.code == code)
