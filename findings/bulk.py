"""Bulk work of the audit office: one service call per action, in one transaction. Assignment, the
extension of reply-by dates and acceptance lock all their rows in one query, check each item by the
single action's rule (auditreg.access.allowed on the locked object, in Python), list a refused item with
the rule's Japanese reason, and write the others together through the single action's own steps
(services.write_assignments, services.accept_reports: what finding_assign and report_accept call with
one object), so an item is checked by the same rules and recorded in the same history, and the number of
queries does not grow with the items. The reminder sends and logs its digests together
(findings.reminders.send_digests, as the daily command does).
"""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from auditreg import access
from auditreg.changelog import entry, record_many
from auditreg.models import Section

from . import reminders, services
from .choices import Action
from .models import Finding, Measure, MeasureReport

ACTIONS = {
    "assign": "所管課の一括割当",
    "extend": "回答期限の一括延長",
    "accept": "報告の一括受理",
    "remind": "督促の送信",
}


@dataclass
class Outcome:
    label: str  # the item as people name it (指摘01, 指摘01（都市政策局 広報広聴課）…)
    reason: str = ""  # why it was refused ("" when done); Japanese
    detail: str = ""  # what was done (the dates set, the recipients …)


@dataclass
class BulkResult:
    action: str
    done: list[Outcome] = field(default_factory=list)
    refused: list[Outcome] = field(default_factory=list)

    @property
    def label(self) -> str:
        return ACTIONS[self.action]


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    text = str(exc)
    if isinstance(exc, PermissionDenied):
        return text or "この操作を行う権限がありません。"
    return text


def _refusal(verdict) -> str:
    """The reason of a refused verdict, as the single action would raise it (its message, in Japanese)."""
    try:
        verdict.check()
    except (services.WorkflowError, PermissionDenied, ValidationError) as exc:
        return _reason(exc)
    return ""


def _finding_label(f: Finding) -> str:
    return f.code


def _measure_label(m: Measure) -> str:
    return f"{m.finding.code}（{m.section.bureau.name} {m.section.name}）"


# -- assignment ---------------------------------------------------------------------------------


@transaction.atomic
def bulk_assign(
    *,
    findings: list[Finding],
    sections,
    reply_by_per_section: dict[int, datetime.date | None],
    by,
    replace: bool = False,
) -> BulkResult:
    """Assign each finding to `sections`, each section with its own reply-by date. By default the
    sections are added to those already assigned (whose dates stay); with `replace` the finding is
    assigned to exactly these sections, and a section that has reported is not dropped (the finding is
    refused). The single action's own steps (services.finding_assign's): the measures of every finding
    locked in one query, each finding checked (allowed "assign", services.unassign_bars), those allowed
    written together by services.write_assignments. The same queries for 1 finding or 100."""
    access.allowed(by, "bulk_work").check()
    if not sections:
        raise services.WorkflowError("所管課を一つ以上選んでください。")
    result = BulkResult("assign")
    findings = list({f.pk: f for f in findings}.values())
    locked = services.lock_measures([f.pk for f in findings])
    named = Section.objects.select_related("bureau").in_bulk([s.pk for s in sections])  # as the history names them
    sections = [named[s.pk] for s in sections]
    chosen = {s.pk: s for s in sections}
    detail = "、".join(f"{s.name}" for s in sections)
    plans, refusals = [], {}
    for finding in findings:
        verdict = access.allowed(by, "assign", finding)
        if not verdict:
            refusals[finding.pk] = _refusal(verdict)
            continue
        existing = locked[finding.pk]
        if replace:
            wanted, dates = list(chosen.values()), {}
        else:
            wanted = [m.section for m in existing.values() if m.section_id not in chosen] + list(chosen.values())
            dates = {m.section_id: m.reply_by for m in existing.values()}
        # a chosen section without a date keeps the date it has (when already assigned)
        dates |= {pk: d for pk, d in reply_by_per_section.items() if pk in chosen and d is not None}
        plans.append(
            services.Assignment(
                finding=finding, existing=existing, sections=wanted, reply_by={s.pk: dates.get(s.pk) for s in wanted}
            )
        )
    refusals |= services.unassign_bars(plans)
    services.write_assignments([p for p in plans if p.finding.pk not in refusals], by=by)
    for finding in findings:
        if finding.pk in refusals:
            result.refused.append(Outcome(label=_finding_label(finding), reason=refusals[finding.pk]))
        else:
            result.done.append(Outcome(label=_finding_label(finding), detail=detail))
    return result


# -- reply-by dates -----------------------------------------------------------------------------


def _new_reply_by(measure: Measure, *, new_date, days) -> datetime.date:
    if measure.status.is_closed:
        raise services.WorkflowError(f"「{measure.status.label}」の措置のため、回答期限は延長しません。")
    if new_date is None:
        if measure.reply_by is None:
            raise services.WorkflowError("回答期限が設定されていないため、日数では延長できません。")
        return measure.reply_by + datetime.timedelta(days=days)
    if measure.reply_by is not None and new_date <= measure.reply_by:
        raise services.WorkflowError(
            f"新しい回答期限が今の期限（{measure.reply_by:%Y-%m-%d}）より後ではありません（延長のみ行えます）。"
        )
    return new_date


@transaction.atomic
def bulk_extend_reply_by(
    *, measures: list[Measure], by, new_date: datetime.date | None = None, days: int | None = None
) -> BulkResult:
    """Extend the reply-by date of each measure: to `new_date`, or by `days` from its own date. Only an
    extension (a later date) of an open measure. The change itself is the assignment's
    (services.write_assignments, as finding_assign writes it), with each finding's other sections and
    their dates as they are: every measure of the findings locked in one query, each item checked,
    those allowed written together. The same queries for 1 measure or 100."""
    access.allowed(by, "bulk_work").check()
    if (new_date is None) == (days is None) or (days is not None and days <= 0):
        raise services.WorkflowError("新しい回答期限か、延長する日数（1 日以上）のどちらかを指定してください。")
    result = BulkResult("extend")
    ids = {m.pk for m in measures}
    finding_ids = set(Measure.objects.filter(pk__in=ids).values_list("finding_id", flat=True))
    locked = services.lock_measures(finding_ids)
    chosen = sorted((m for by_section in locked.values() for m in by_section.values() if m.pk in ids), key=_pk)
    new_dates: dict[int, dict[int, datetime.date]] = {}
    for measure in chosen:
        verdict = access.allowed(by, "assign", measure.finding)
        try:
            verdict.check()
            reply_by = _new_reply_by(measure, new_date=new_date, days=days)
        except (services.WorkflowError, PermissionDenied, ValidationError) as exc:
            result.refused.append(Outcome(label=_measure_label(measure), reason=_reason(exc)))
            continue
        new_dates.setdefault(measure.finding_id, {})[measure.section_id] = reply_by
        result.done.append(Outcome(label=_measure_label(measure), detail=f"{reply_by:%Y-%m-%d}"))
    plans = []
    for finding_id, dates in new_dates.items():
        existing = locked[finding_id]
        plans.append(
            services.Assignment(
                finding=next(iter(existing.values())).finding,
                existing=existing,
                sections=[m.section for m in existing.values()],
                reply_by={m.section_id: m.reply_by for m in existing.values()} | dates,
            )
        )
    services.write_assignments(plans, by=by)  # every section stays: nothing to refuse unassigning
    return result


def _pk(obj) -> int:
    return obj.pk


# -- review -------------------------------------------------------------------------------------


@transaction.atomic
def bulk_accept(*, reports: list[MeasureReport], by, comment: str = "") -> BulkResult:
    """Accept each submitted report: all locked in one query, each checked by the single action's rule
    (allowed(by, Action.ACCEPT, report): its scope and state), those allowed accepted together by
    services.accept_reports, the single action's own steps. The same queries for 1 report or 100."""
    access.allowed(by, "bulk_work").check()
    result = BulkResult("accept")
    ok = []
    for report in services.reports_for_review().filter(pk__in=[r.pk for r in reports]).order_by("pk"):
        verdict = access.allowed(by, Action.ACCEPT, report)
        if verdict:
            ok.append(report)
        else:
            result.refused.append(Outcome(label=_measure_label(report.measure), reason=_refusal(verdict)))
    services.accept_reports(ok, by=by, comment=comment)
    result.done = [Outcome(label=_measure_label(r.measure), detail=r.status.label) for r in ok]
    return result


# -- reminders ----------------------------------------------------------------------------------

REMINDER_KIND = "manual"  # ReminderLog.kind of a reminder the office sends now (the daily digest is "due")


@transaction.atomic
def bulk_remind(*, sections, by, today: datetime.date) -> BulkResult:
    """Send each section now the digest of what it still owes (findings.reminders, the daily command's
    digest, sent by the same reminders.send_digests): once per section and day, logged in ReminderLog
    and in the change log. The same queries for 1 section or 100."""
    access.allowed(by, "bulk_work").check()
    result = BulkResult("remind")
    sections = list(Section.objects.filter(pk__in=[s.pk for s in sections]).select_related("bureau"))
    owed: dict[int, list[Measure]] = {}
    for m in reminders.open_measures().filter(section__in=[s.pk for s in sections]):
        owed.setdefault(m.section_id, []).append(m)
    people = reminders.section_recipients(s.pk for s in sections)
    refusals, digests = {}, {}
    for section in sections:
        items = owed.get(section.pk, [])
        if not items:
            refusals[section.pk] = "回答を求める未完了の措置がありません。"
        elif not people.get(section.pk):
            refusals[section.pk] = "メールアドレスが登録された職員がいないため、送信できません。"
        else:
            digests[section.pk] = reminders.Digest(
                key=f"section:{section.pk}",
                recipients=people[section.pk],
                subject=f"【督促】{section}：措置の回答をお願いします（{len(items)} 件）",
                lines=reminders.digest_lines(items, today),
            )
    sent = {d.key for d in reminders.send_digests(today=today, kind=REMINDER_KIND, digests=list(digests.values()))}
    logs = []
    for section in sections:
        label = f"{section.bureau.name} {section.name}"
        if section.pk in refusals:
            result.refused.append(Outcome(label=label, reason=refusals[section.pk]))
        elif digests[section.pk].key not in sent:
            result.refused.append(Outcome(label=label, reason="本日すでにこの課へ督促を送信しています。"))
        else:
            n_items, n_people = len(owed[section.pk]), len(people[section.pk])
            logs.append(
                entry(
                    actor=by,
                    action="reminder.sent",
                    obj=section,
                    changes={"recipients": [None, n_people], "measures": [None, n_items]},
                )
            )
            result.done.append(Outcome(label=label, detail=f"{n_items} 件・{n_people} 人"))
    record_many(logs)
    return result
