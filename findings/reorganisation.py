"""Reorganisation hand-over (機構改革): the measures of an abolished or split section move to its
successors. Their reports, evidence and history move with them (they hang on the measure); each report
keeps the section that made it (MeasureReport.section), so the old section stays shown on its reports.

A change is prepared (OrganisationChange, with its effective date), can be previewed at any time (`plan`),
and is applied on its date: at once when the date has come, else by `apply_due` (manage.py
apply_reorganisations, run daily). Applying never changes a measure's status: the 措置状況 and the
publication diff (findings.publishing.changes_since, through `previous_sections`) see the same items."""

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from auditreg import access
from auditreg.changelog import record
from auditreg.models import ChangeLog, Section, User
from auditreg.validators import parse_id
from auditreg.wareki import format_date

from . import status as finding_status
from .choices import EDITABLE_REPORT_STATES, ReportState
from .models import FindingSection, Measure, MeasureReport, OrganisationChange, OrganisationMove
from .services import WorkflowError


@dataclass
class PlannedMove:
    measure: Measure
    to_section: Section | None
    refused: str = ""  # why it cannot move ("" when it can)
    n_reports: int = 0
    n_evidence: int = 0
    open_state: str = ""  # the label of its open report's state, "" if none
    options: list = field(default_factory=list)  # successors it may go to


@dataclass
class Plan:
    from_section: Section
    to_sections: list[Section]
    effective_on: datetime.date
    moves: list[PlannedMove]
    n_history: int
    n_users: int  # people still in the old section (the admin moves them in the master)

    @property
    def movable(self) -> list[PlannedMove]:
        return [m for m in self.moves if not m.refused]

    @property
    def refused(self) -> list[PlannedMove]:
        return [m for m in self.moves if m.refused]

    @property
    def n_reports(self) -> int:
        return sum(m.n_reports for m in self.movable)

    @property
    def n_evidence(self) -> int:
        return sum(m.n_evidence for m in self.movable)

    def per_successor(self) -> list[tuple[Section, int]]:
        return [(s, sum(1 for m in self.movable if m.to_section == s)) for s in self.to_sections]


def resolve_section(text: str, *, on: datetime.date | None = None) -> Section:
    """A section from the command line: its id, or its path of names 局/部/課 (局 課 also reads). Where
    names repeat over periods, the unit in force on `on`."""
    text = (text or "").strip()
    qs = Section.objects.select_related("bureau")
    section_id = parse_id(text)
    if section_id is not None:
        section = qs.filter(pk=section_id).first()
        if section is None:
            raise WorkflowError(f"課（ID {text}）が見つかりません。")
        return section
    parts = [p for p in text.replace("／", "/").replace("　", " ").replace(" ", "/").split("/") if p]
    if len(parts) < 2:
        raise WorkflowError(f"課は ID か「局名/課名」で指定してください（{text}）。")
    candidates = qs.filter(bureau__name=parts[0], name=parts[-1])
    if on is not None and candidates.count() > 1:
        candidates = candidates.current_on(on) or candidates
    found = [s for s in candidates if _path_matches(s, parts[1:-1])]
    if not found:
        raise WorkflowError(f"課「{text}」が見つかりません。")
    if len(found) > 1:
        ids = "、".join(str(s.pk) for s in found)
        raise WorkflowError(f"課「{text}」が複数あります。ID で指定してください（{ids}）。")
    return found[0]


def _path_matches(section: Section, middle: list[str]) -> bool:
    names, parent = [], section.parent
    while parent is not None:
        names.insert(0, parent.name)
        parent = parent.parent
    return not middle or names[-len(middle) :] == middle


def _check(*, from_section, to_sections, effective_on) -> None:
    if not to_sections:
        raise WorkflowError("承継する課を一つ以上選んでください。")
    if any(s.pk == from_section.pk for s in to_sections):
        raise WorkflowError("元の課を承継する課に含めることはできません。")
    for s in to_sections:
        if s.valid_to is not None and s.valid_to <= effective_on:
            raise WorkflowError(f"{s} は実施日（{format_date(effective_on)}）には廃止されています。")


def _default_target(measure: Measure, to_sections: list[Section], named: set[tuple[int, int]]) -> Section:
    """A split sends a measure to the successor the report names for its finding, else the first one."""
    for s in to_sections:
        if (measure.finding_id, s.pk) in named:
            return s
    return to_sections[0]


def plan(
    *, from_section: Section, to_sections: list[Section], effective_on: datetime.date, choices: dict | None = None
) -> Plan:
    """What would move (a fixed number of queries): each measure of the old section with its successor
    (the office's choice, else the default), its reports and evidence, or why it cannot move."""

    _check(from_section=from_section, to_sections=to_sections, effective_on=effective_on)
    choices = {int(k): int(v) for k, v in (choices or {}).items()}
    by_pk = {s.pk: s for s in to_sections}
    measures = list(
        Measure.objects.filter(section=from_section)
        .select_related("finding__report", "status", "section__bureau")
        .annotate(
            n_reports=Count("reports", distinct=True),
            n_evidence=Count("evidence", distinct=True),
        )
        .order_by("finding__report__fiscal_year", "finding__report_id", "finding__order")
    )
    finding_ids = [m.finding_id for m in measures]
    taken = set(
        Measure.objects.filter(finding_id__in=finding_ids, section__in=list(by_pk)).values_list(
            "finding_id", "section_id"
        )
    )
    named = set(
        FindingSection.objects.filter(finding_id__in=finding_ids, section__in=list(by_pk)).values_list(
            "finding_id", "section_id"
        )
    )
    open_states = dict(
        MeasureReport.objects.filter(
            measure__in=[m.pk for m in measures], state__in=[*EDITABLE_REPORT_STATES, ReportState.SUBMITTED]
        ).values_list("measure_id", "state")
    )
    moves = []
    for m in measures:
        target = by_pk.get(choices.get(m.pk)) or _default_target(m, to_sections, named)
        refused = ""
        if (m.finding_id, target.pk) in taken:
            refused = (
                f"{target.name} にはこの指摘・意見の措置がすでにあるため、移せません"
                "（別の承継先を選ぶか、個別に整理してください）。"
            )
        moves.append(
            PlannedMove(
                measure=m,
                to_section=target,
                refused=refused,
                n_reports=m.n_reports,
                n_evidence=m.n_evidence,
                open_state=ReportState(open_states[m.pk]).label if m.pk in open_states else "",
                options=to_sections,
            )
        )
    n_history = ChangeLog.objects.filter(
        object_type=Measure._meta.label_lower, object_id__in=[m.pk for m in measures]
    ).count()
    n_users = User.objects.filter(section=from_section, is_active=True).count()
    return Plan(
        from_section=from_section,
        to_sections=list(to_sections),
        effective_on=effective_on,
        moves=moves,
        n_history=n_history,
        n_users=n_users,
    )


def plan_of(change: OrganisationChange) -> Plan:
    return plan(
        from_section=change.from_section,
        to_sections=_ordered(change.to_sections.all()),
        effective_on=change.effective_on,
        choices=change.choices,
    )


def _ordered(sections) -> list[Section]:
    return sorted(sections, key=lambda s: (s.bureau.order, s.order, s.pk))


@transaction.atomic
def prepare(
    *,
    from_section: Section,
    to_sections: list[Section],
    effective_on: datetime.date,
    by,
    choices: dict | None = None,
    note: str = "",
    abolish: bool = True,
    today: datetime.date | None = None,
) -> OrganisationChange:
    """Record a hand-over; apply it at once when its date has come (else apply_due does on the day)."""
    access.allowed(by, "reorganise").check()
    today = today or timezone.localdate()
    to_sections = _ordered(Section.objects.filter(pk__in=[s.pk for s in to_sections]).select_related("bureau"))
    _check(from_section=from_section, to_sections=to_sections, effective_on=effective_on)
    pending = OrganisationChange.objects.filter(from_section=from_section, state=OrganisationChange.PREPARED).first()
    if pending is not None:
        raise WorkflowError(f"{from_section} の引継ぎはすでに予定されています（{format_date(pending.effective_on)}）。")
    valid = {s.pk for s in to_sections}
    choices = {str(k): int(v) for k, v in (choices or {}).items() if int(v) in valid}
    change = OrganisationChange.objects.create(
        effective_on=effective_on,
        from_section=from_section,
        choices=choices,
        abolish=abolish,
        note=note or "",
        created_by=by,
        created_at=timezone.now(),
    )
    change.to_sections.set(to_sections)
    record(
        actor=by,
        action="organisation.prepared",
        obj=change,
        comment=note or "",
        changes={
            "effective_on": [None, effective_on.isoformat()],
            "section": [str(from_section), "、".join(str(s) for s in to_sections)],
        },
    )
    if effective_on <= today:
        change = _apply(change, by=by)
    return change


@transaction.atomic
def apply(*, change: OrganisationChange, by, today: datetime.date | None = None) -> OrganisationChange:
    """Apply a prepared change now (its date must have come)."""
    access.allowed(by, "reorganise").check()
    today = today or timezone.localdate()
    if change.effective_on > today:
        raise WorkflowError(f"実施日（{format_date(change.effective_on)}）の前のため、まだ実施できません。")
    return _apply(change, by=by)


@transaction.atomic
def cancel(*, change: OrganisationChange, by) -> OrganisationChange:
    access.allowed(by, "reorganise").check()
    change = OrganisationChange.objects.select_for_update().get(pk=change.pk)
    if change.state != OrganisationChange.PREPARED:
        raise WorkflowError("予定の引継ぎだけを取り消せます。")
    change.state = OrganisationChange.CANCELLED
    change.save(update_fields=["state"])
    record(actor=by, action="organisation.cancelled", obj=change)
    return change


def apply_due(*, today: datetime.date) -> tuple[list[OrganisationChange], list[tuple[OrganisationChange, str]]]:
    """Apply every prepared change whose date has come (the daily command): each in its own transaction,
    as the office prepared it (the person who prepared it is its author; the run has no actor). A change
    that can no longer run (a successor abolished since) stays prepared and is returned with the reason."""
    done, failed = [], []
    due = OrganisationChange.objects.filter(state=OrganisationChange.PREPARED, effective_on__lte=today)
    for change in due.order_by("effective_on", "pk"):
        try:
            with transaction.atomic():
                done.append(_apply(change, by=None))
        except WorkflowError as exc:
            failed.append((change, str(exc)))
    return done, failed


def _apply(change: OrganisationChange, *, by) -> OrganisationChange:
    change = OrganisationChange.objects.select_for_update().select_related("from_section__bureau").get(pk=change.pk)
    if change.state != OrganisationChange.PREPARED:
        raise WorkflowError(f"この引継ぎは「{change.get_state_display()}」です。")
    old = change.from_section
    # lock the old section's measures, then plan on what is there now
    list(Measure.objects.select_for_update().filter(section=old).values_list("pk", flat=True))
    p = plan_of(change)
    moves, refused = [], []
    for pm in p.moves:
        m = pm.measure
        if pm.refused:
            refused.append(
                OrganisationMove(change=change, measure=m, from_section=old, to_section=None, refused=pm.refused)
            )
            continue
        new = pm.to_section
        # the reports the old section made keep it; a draft still being written is the successor's to finish
        MeasureReport.objects.filter(measure=m, section__isnull=True).update(section=old)
        MeasureReport.objects.filter(measure=m, state__in=EDITABLE_REPORT_STATES).update(section=new)
        m.section = new
        m.save(update_fields=["section"])
        record(
            actor=by,
            action="measure.transferred",
            obj=m,
            finding_id=m.finding_id,
            comment=change.note,
            changes={"section": [str(old), str(new)]},
        )
        moves.append(OrganisationMove(change=change, measure=m, from_section=old, to_section=new))
    OrganisationMove.objects.bulk_create(moves + refused)
    finding_ids = [mv.measure.finding_id for mv in moves]
    if finding_ids:
        # statuses do not change; the dashboard's per-section counts of both sides do
        finding_status.refresh(finding_ids, sections=[old.pk])
    if change.abolish and old.valid_to is None and (old.valid_from is None or old.valid_from < change.effective_on):
        old.valid_to = change.effective_on
        old.save(update_fields=["valid_to"])
    change.state = OrganisationChange.APPLIED
    change.applied_by = by
    change.applied_at = timezone.now()
    change.save(update_fields=["state", "applied_by", "applied_at"])
    record(
        actor=by,
        action="organisation.applied",
        obj=change,
        comment=change.note,
        changes={"measures": [None, len(moves)], "refused": [None, len(refused)]},
    )
    return change


def previous_sections() -> dict[tuple[int, int], list[int]]:
    """(finding id, section id now) -> the sections its measure was moved from, latest first, through every
    applied hand-over: the publication diff reads a moved measure's earlier row under these."""
    edges: dict[tuple[int, int], list[int]] = {}
    rows = (
        OrganisationMove.objects.filter(change__state=OrganisationChange.APPLIED, to_section__isnull=False)
        .order_by("-pk")
        .values_list("measure__finding_id", "to_section_id", "from_section_id")
    )
    for finding_id, to_id, from_id in rows:
        edges.setdefault((finding_id, to_id), []).append(from_id)
    chains: dict[tuple[int, int], list[int]] = {}
    for key in edges:
        seen, queue = [], list(edges[key])
        while queue:
            s = queue.pop(0)
            if s in seen or s == key[1]:
                continue
            seen.append(s)
            queue.extend(edges.get((key[0], s), []))
        chains[key] = seen
    return chains
