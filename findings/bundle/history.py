"""Adopting a city's history: earlier measures, their dated reports and past 措置状況 publications.

Entries come from the bundle's history files (or the workbook's sheets of the same name). Each entry
becomes an accepted MeasureReport whose business dates come from the file, never from the clock:
`reviewed_at` (what "as of" reads) is the start of the entry's accepted_on, else its reported_on, so
the 措置状況 as of a past date shows what was known then. Loading is additive and idempotent: an entry
already adopted (same measure, date and status) is left alone, and adopted history is never deleted
by a later import. Past publications are registered with their number and dates (no files), so that
"what changed since the last publication" works from the first one made in the register.
"""

import datetime

from django.utils import timezone

from auditreg.choices import Role
from auditreg.models import User

from .. import status_report
from ..choices import ReportState, StatusCode
from ..models import Measure, MeasureReport, MeasureStatus, Publication
from ..status import refresh
from .reader import Bundle, Problem

# The two accounts adopted records are attributed to: the people who drafted and approved them
# are not in the register (the drafter-is-not-approver rule still holds for these rows).
DRAFTER = ("history-drafter", "過去の記録", "（作成）")
APPROVER = ("history-approver", "過去の記録", "（承認・受理）")


def _system_user(username, last, first) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, last_name=last, first_name=first, role=Role.AUDITOR, is_active=False)
        user.set_unusable_password()
        user.save()
    return user


def start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def status_lookup() -> dict[str, MeasureStatus]:
    """A status named by its code or by its label as the city prints it."""
    statuses = list(MeasureStatus.objects.all())
    return {s.code: s for s in statuses} | {s.label: s for s in statuses}


def check_history(bundle: Bundle, finding_keys: set, section_keys: set, problem) -> None:
    """The history files' references: findings of the bundle, sections of the master, known statuses."""
    statuses = status_lookup()
    for e in bundle.rows("history/measures.yaml"):
        if (e["report"], e["finding"]) not in finding_keys:
            problem(
                "history/measures.yaml",
                e.where,
                "finding",
                f"指摘・意見「{e['finding']}」が報告書「{e['report']}」の findings にありません（内部キーか番号）",
            )
        if (e["bureau"], e["section"]) not in section_keys:
            problem("history/measures.yaml", e.where, "section", f"課「{e['bureau']} {e['section']}」がありません")
        if e["status"] not in statuses:
            problem(
                "history/measures.yaml",
                e.where,
                "status",
                f"措置状況「{e['status']}」がありません（{'、'.join(s.label for s in statuses.values())}）",
            )
        elif statuses[e["status"]].requires_reason and not (e["text"] or "").strip():
            problem("history/measures.yaml", e.where, "text", "この措置状況には理由（text）が必要です")
        if e.get("accepted_on") and e["reported_on"] and e["accepted_on"] < e["reported_on"]:
            problem("history/measures.yaml", e.where, "accepted_on", "受理日が報告日より前です")
    for p in bundle.rows("history/publications.csv"):
        if p["as_of"] and p["published_on"] and p["as_of"] > p["published_on"]:
            problem("history/publications.csv", p.where, "as_of", "時点が公表日より後です")


def load_history(loader) -> None:
    b = loader.bundle
    entries = b.rows("history/measures.yaml")
    publications = b.rows("history/publications.csv")
    if not entries and not publications:
        return
    drafter, approver = _system_user(*DRAFTER), _system_user(*APPROVER)
    statuses = status_lookup()
    not_started = statuses[StatusCode.NOT_STARTED]
    m_stats = loader.result.stats[Measure._meta.verbose_name]
    r_stats = loader.result.stats[MeasureReport._meta.verbose_name]
    touched: dict[int, Measure] = {}
    ordered = sorted(enumerate(entries), key=lambda ie: (ie[1]["reported_on"] or datetime.date.min, ie[0]))
    for _, e in ordered:
        finding = loader.findings[(e["report"], e["finding"])]
        section = loader.sections[(e["bureau"], e["section"])]
        day = e["reported_on"]
        known_on = e.get("accepted_on") or day
        measure = Measure.objects.filter(finding=finding, section=section).first()
        if measure is None:
            measure = Measure.objects.create(
                finding=finding,
                section=section,
                reply_by=e.get("reply_by"),
                assigned_by=approver,
                assigned_at=start_of(day),
                status=not_started,
            )
            m_stats.created += 1
            m_stats.created_keys.append(f"{e['report']} / {finding.code} / {section.name}")
        elif measure.assigned_at > start_of(day):  # adopted history reaches back before the assignment
            measure.assigned_at = start_of(day)
            measure.save(update_fields=["assigned_at"])
        status = statuses[e["status"]]
        if MeasureReport.objects.filter(measure=measure, adopted=True, reported_on=day, status=status).exists():
            r_stats.unchanged += 1
            touched.setdefault(measure.pk, measure)
            continue
        MeasureReport.objects.create(
            measure=measure,
            state=ReportState.ACCEPTED,
            status=status,
            reported_on=day,
            text=e["text"] if not status.requires_reason else "",
            reason=e["text"] if status.requires_reason else "",
            completed_on=e.get("completed_on"),
            drafted_by=drafter,
            drafted_at=start_of(day),
            last_edited_by=drafter,
            updated_at=start_of(day),
            approved_by=approver,
            approved_at=start_of(e.get("notice_on") or day),
            reviewed_by=approver,
            reviewed_at=start_of(known_on),
            notice_number=e.get("notice_number") or "",
            notice_on=e.get("notice_on"),
            adopted=True,
        )
        r_stats.created += 1
        r_stats.created_keys.append(f"{e['report']} / {finding.code} / {section.name} / {day}")
        touched[measure.pk] = measure
    _refresh_measures(touched.values())
    _register_publications(loader, entries, publications, approver)


def _refresh_measures(measures) -> None:
    """Each touched measure's official state is its latest accepted report (by business date)."""
    for measure in measures:
        latest = (
            MeasureReport.objects.filter(measure=measure, state=ReportState.ACCEPTED)
            .order_by("-reviewed_at", "-pk")
            .first()
        )
        if latest is not None and (measure.accepted_report_id != latest.pk or measure.status_id != latest.status_id):
            measure.accepted_report = latest
            measure.status_id = latest.status_id
            measure.save(update_fields=["accepted_report", "status"])
    refresh({m.finding_id for m in measures})


def _register_publications(loader, entries, publications, by) -> None:
    """Past publications: those listed, and those the entries name (as of their latest entry)."""
    rows = {p["number"]: dict(p) for p in publications}
    for e in entries:
        number = e.get("publication_number")
        if number and number not in rows and e.get("published_on"):
            rows[number] = {"number": number, "published_on": e["published_on"], "as_of": None, "title": ""}
        if number in rows and rows[number].get("as_of") is None:
            rows[number]["derived_as_of"] = max(rows[number].get("derived_as_of") or e["reported_on"], e["reported_on"])
    stats = loader.result.stats[Publication._meta.verbose_name]
    main = loader.reports[loader.bundle.rows("reports.yaml")[0]["code"]]
    for number in sorted(rows):
        row = rows[number]
        if Publication.objects.filter(number=number).exists():
            stats.unchanged += 1
            continue
        codes = (row.get("reports") or "").split()
        reports = [loader.reports[c] for c in codes if c in loader.reports] or [main]
        as_of = row.get("as_of") or row.get("derived_as_of") or row["published_on"]
        per = row.get("per") or "finding"
        built = status_report.build(
            reports=reports, as_of=as_of, per=per if per in ("finding", "section") else "finding"
        )
        previous = Publication.objects.filter(reports=reports[0], number__lt=number).order_by("-number").first()
        publication = Publication.objects.create(
            number=number,
            published_on=row["published_on"],
            as_of=as_of,
            title=row.get("title") or built.title,
            per=built.per,
            previous=previous,
            snapshot=built.to_json() | {"changes": None, "registered": True},
            created_by=by,
            created_at=timezone.now(),
        )
        publication.reports.set(reports)
        stats.created += 1
        stats.created_keys.append(f"第{number}号")


__all__ = ["Problem", "check_history", "load_history"]
