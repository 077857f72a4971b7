"""Inquiry rounds: the reads, scoped in one place (rounds_for, round_of, round_detail, round_list,
section_states, section_items)."""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone

from auditreg import access
from auditreg.models import Section
from findings.choices import OPEN_REPORT_STATES, ReportState
from findings.models import Measure, MeasureReport

from ..access import round_for
from ..choices import ResponseState
from ..models import InquiryItem, InquiryResponse, InquiryRound

APPROVED_STATES = (ReportState.SUBMITTED, ReportState.ACCEPTED)
EDITABLE_STATES = (ReportState.DRAFT, ReportState.RETURNED, ReportState.REVISING)


def rounds_for(user):
    """The rounds a user may see: the office all of them, a section user those that include their section."""
    return InquiryRound.objects.for_user(user)


def round_of(user, pk) -> InquiryRound:
    """One round the user may see, or 404 (imports.access.round_for)."""
    return round_for(user, pk, queryset=InquiryRound.objects.select_related("created_by"))


def scope_section_ids(user) -> list[int] | None:
    """The sections whose rows a user sees inside a round: all (None) for the office, else their own."""
    if access.sees_all(user):
        return None
    if access.is_section_user(user):
        return [user.section_id]
    return []


@dataclass
class SectionRow:
    """One section's place in a round (derived, never stored)."""

    section: Section
    response: InquiryResponse
    state: str = ResponseState.NOT_OPENED
    n_items: int = 0
    n_unreported: int = 0  # no report at all
    n_open: int = 0  # latest report still a draft or returned
    n_approved: int = 0  # latest report submitted (approved by the head) or accepted

    @property
    def state_label(self) -> str:
        return ResponseState(self.state).label


def _state(response, counts: dict, *, reply_by, today) -> str:
    if response.answered_at is None:
        if today > reply_by:
            return ResponseState.OVERDUE
        return ResponseState.DOWNLOADED if response.downloaded_at else ResponseState.NOT_OPENED
    # An item the answer left unchanged whose report the head had already approved counts as approved:
    # otherwise a section confirming already-approved content could never reach 課長承認済.
    if counts["n"] and counts["n_approved"] == counts["n"]:
        return ResponseState.APPROVED
    return ResponseState.ANSWERED


def _states_for(rounds, today, *, section_ids=None) -> dict[int, list[SectionRow]]:
    """Rows per round for many rounds in two queries (responses; item counts grouped by round × section)."""
    ids = [r.pk for r in rounds]
    responses = (
        InquiryResponse.objects.filter(round_id__in=ids)
        .select_related("section__bureau", "downloaded_by", "answered_by")
        .order_by("round_id", "section__bureau__order", "section__order", "section__name")
    )
    items = InquiryItem.objects.filter(round_id__in=ids)
    if section_ids is not None:
        responses = responses.filter(section_id__in=section_ids)
        items = items.filter(measure__section_id__in=section_ids)
    latest = MeasureReport.objects.filter(measure_id=OuterRef("measure_id")).order_by("-pk").values("state")[:1]
    grouped = (
        items.alias(latest=Subquery(latest))
        .values("round_id", "measure__section_id")
        .annotate(
            n=Count("pk"),
            n_unreported=Count("pk", filter=Q(latest__isnull=True)),
            n_open=Count("pk", filter=Q(latest__in=EDITABLE_STATES)),
            n_approved=Count("pk", filter=Q(latest__in=APPROVED_STATES)),
        )
        .order_by()
    )
    counts = {(g["round_id"], g["measure__section_id"]): g for g in grouped}
    by_pk = {r.pk: r for r in rounds}
    result: dict[int, list[SectionRow]] = {pk: [] for pk in ids}
    empty = {"n": 0, "n_unreported": 0, "n_open": 0, "n_approved": 0}
    for response in responses:
        c = counts.get((response.round_id, response.section_id), empty)
        result[response.round_id].append(
            SectionRow(
                section=response.section,
                response=response,
                state=_state(response, c, reply_by=by_pk[response.round_id].reply_by, today=today),
                n_items=c["n"],
                n_unreported=c["n_unreported"],
                n_open=c["n_open"],
                n_approved=c["n_approved"],
            )
        )
    return result


def section_states(inquiry_round, today: datetime.date, *, section_ids=None) -> list[SectionRow]:
    """Per section of the round (organisation order): its ResponseState and item counts. Two queries
    whatever the number of sections and items. `section_ids` limits the rows (a section user's view)."""
    return _states_for([inquiry_round], today, section_ids=section_ids)[inquiry_round.pk]


@dataclass
class RoundSummary:
    round: InquiryRound
    rows: list[SectionRow]

    @property
    def n_sections(self) -> int:
        return len(self.rows)

    @property
    def n_items(self) -> int:
        return sum(r.n_items for r in self.rows)

    @property
    def by_state(self) -> list[tuple[str, int]]:
        counts = defaultdict(int)
        for row in self.rows:
            counts[row.state] += 1
        return [(s.label, counts[s.value]) for s in ResponseState if counts[s.value]]

    @property
    def own(self) -> SectionRow | None:
        return self.rows[0] if len(self.rows) == 1 else None


def round_list(user, rounds, today: datetime.date) -> list[RoundSummary]:
    """Summaries of the given (already scoped, e.g. one page of rounds_for(user)) rounds in two queries."""
    rounds = list(rounds)
    states = _states_for(rounds, today, section_ids=scope_section_ids(user))
    return [RoundSummary(round=r, rows=states[r.pk]) for r in rounds]


def section_items(inquiry_round, *, section_ids=None) -> list[Measure]:
    """The round's measures (optionally of some sections), each with its reports and, as attributes,
    `open_report` (draft, submitted or returned), `latest_report` and `base_report` (what a workbook
    row shows and an upload compares with: the open draft/returned report, else the latest, else None)."""
    measures = (
        Measure.objects.filter(Exists(InquiryItem.objects.filter(round_id=inquiry_round.pk, measure_id=OuterRef("pk"))))
        .select_related("finding__report", "section__bureau", "status")
        .prefetch_related(
            Prefetch(
                "reports",
                queryset=MeasureReport.objects.select_related("status", "last_edited_by").order_by("pk"),
            )
        )
    )
    if section_ids is not None:
        measures = measures.filter(section_id__in=section_ids)
    measures = list(
        measures.order_by("finding__report_id", "finding__order", "section__bureau__order", "section__order")
    )
    for m in measures:
        reports = list(m.reports.all())
        m.open_report = next((r for r in reports if r.state in OPEN_REPORT_STATES), None)
        m.latest_report = reports[-1] if reports else None
        m.base_report = m.open_report if m.open_report and m.open_report.state in EDITABLE_STATES else m.latest_report
    return measures


@dataclass
class RoundDetail:
    round: InquiryRound
    rows: list[SectionRow]  # the sections the user sees
    items: list[Measure]  # the measures the user sees
    own: SectionRow | None  # a section user's own row


def round_detail(user, pk, *, today: datetime.date | None = None) -> RoundDetail:
    """A round as the user may see it (404 otherwise): the office every section, a section user its own."""
    round_ = round_of(user, pk)
    scope = scope_section_ids(user)
    rows = section_states(round_, today or timezone.localdate(), section_ids=scope)
    own = None
    if access.is_section_user(user):
        own = next((r for r in rows if r.section.pk == user.section_id), None)
    return RoundDetail(round=round_, rows=rows, items=section_items(round_, section_ids=scope), own=own)


def response_of(inquiry_round, section_id) -> InquiryResponse | None:
    if section_id is None:
        return None
    return (
        InquiryResponse.objects.select_related("section__bureau")
        .filter(round=inquiry_round, section_id=section_id)
        .first()
    )
