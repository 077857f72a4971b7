"""Writes of the follow-up workflow. Each service checks the actor's right and the allowed
transition (findings.choices.TRANSITIONS) once, inside its lock, through auditreg.access.allowed()
(the rules: findings.access), validates, writes and records the change in one transaction. Views
call these and nothing else to change state, and do not check the right again."""

import datetime
import hashlib
import os
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from auditreg.access import allowed
from auditreg.change_labels import filesize
from auditreg.changelog import diff, entry, record, record_many

from . import status as finding_status
from .access import WorkflowError, drafter_bar
from .choices import OPEN_REPORT_STATES, TRANSITIONS, Action, ReportState, StatusCode
from .models import EvidenceFile, Finding, Measure, MeasureReport, MeasureStatus

REPORT_FIELDS = ("status", "reported_on", "text", "planned_completion_on", "completed_on", "reason")

BATCH = 500  # rows per bulk_update / bulk_create query (SQLite limits the parameters of one)

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
# extension -> (content type, magic bytes the file must start with; None = text, checked as UTF-8)
EVIDENCE_TYPES = {
    ".pdf": ("application/pdf", [b"%PDF-"]),
    ".png": ("image/png", [b"\x89PNG\r\n\x1a\n"]),
    ".jpg": ("image/jpeg", [b"\xff\xd8\xff"]),
    ".jpeg": ("image/jpeg", [b"\xff\xd8\xff"]),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", [b"PK\x03\x04"]),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", [b"PK\x03\x04"]),
    ".pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", [b"PK\x03\x04"]),
    ".csv": ("text/csv", None),
    ".txt": ("text/plain", None),
}


# WorkflowError (a refusal with a message: a wrong state, the drafter rule) is defined in findings.access,
# whose checks refuse with it; it stays importable from here.


@dataclass
class StaleEdit(Exception):
    """Someone else saved the draft after this form was opened; nothing was written."""

    current: MeasureReport

    def __str__(self):
        return "他の人がこの報告を先に更新しました。"


def _check_transition(action: Action, *, user, obj):
    """The one check of a workflow write (role, section, state, the drafter rule): call it inside the
    lock, on the locked report (or the measure when it has no open report). Returns the target state."""
    allowed(user, action, obj).check()
    return TRANSITIONS[action][1]


def _status(code) -> MeasureStatus:
    return MeasureStatus.objects.get(code=code)


# -- assignment -----------------------------------------------------------------------------


@dataclass
class Assignment:
    """What one finding's assignment is to become: its sections (in order), each with its reply-by
    date, beside its measures as they are (locked: lock_measures)."""

    finding: Finding
    existing: dict  # section id -> the finding's measure for it
    sections: list  # the sections wanted
    reply_by: dict  # section id -> the date it gets (None: none)

    @property
    def removed(self) -> list[Measure]:
        wanted = {s.pk for s in self.sections}
        return [m for section_id, m in self.existing.items() if section_id not in wanted]


def lock_measures(finding_ids) -> dict[int, dict[int, Measure]]:
    """The measures of these findings, locked in one query: {finding id: {section id: measure}}."""
    found: dict[int, dict[int, Measure]] = {pk: {} for pk in finding_ids}
    for m in (
        Measure.objects.select_for_update(of=("self",))
        .select_related("finding", "section__bureau", "status")
        .filter(finding_id__in=list(found))
    ):
        found[m.finding_id][m.section_id] = m
    return found


def unassign_bars(assignments: list[Assignment]) -> dict[int, str]:
    """Why a finding's assignment may not drop the sections it drops ({finding id: message}, only the
    refused): a measure with a report or evidence, or one an inquiry asks about, stays. At most three
    queries for any number of findings."""
    removed = [m for a in assignments for m in a.removed]
    if not removed:
        return {}
    ids = [m.pk for m in removed]
    inquiry = Measure._meta.get_field("inquiry_items")
    reported = set(MeasureReport.objects.filter(measure_id__in=ids).values_list("measure_id", flat=True))
    reported |= set(EvidenceFile.objects.filter(measure_id__in=ids).values_list("measure_id", flat=True))
    asked = set(
        inquiry.related_model.objects.filter(**{f"{inquiry.field.name}_id__in": ids}).values_list(
            f"{inquiry.field.name}_id", flat=True
        )
    )
    bars = {}
    for a in assignments:
        for measure in a.removed:
            if measure.pk in reported:
                bars[a.finding.pk] = f"{measure.section} には報告または根拠資料があるため、割当を外せません。"
            elif measure.pk in asked:
                bars[a.finding.pk] = f"{measure.section} の措置は照会の対象になっているため、割当を外せません。"
            else:
                continue
            break
    return bars


def write_assignments(assignments: list[Assignment], *, by) -> dict[int, list[Measure]]:
    """Write checked assignments (allowed "assign", unassign_bars empty for them): the measures of the
    sections no longer listed deleted, one measure created per new section, the changed reply-by dates
    set, each recorded in history as finding_assign always has; then the findings' status. The same
    queries for one finding or many. Returns each finding's measures, in the order of its sections."""
    if not assignments:
        return {}
    now = timezone.now()
    not_started = _status(StatusCode.NOT_STARTED)
    created, changed, removed = [], [], []
    for a in assignments:
        removed += a.removed
        for section in a.sections:
            measure = a.existing.get(section.pk)
            if measure is None:
                measure = Measure(
                    finding=a.finding,
                    section=section,
                    reply_by=a.reply_by.get(section.pk),
                    assigned_by=by,
                    assigned_at=now,
                    status=not_started,
                )
                created.append(measure)
    Measure.objects.bulk_create(created, batch_size=BATCH)  # the new measures' ids, for their history
    new = {(m.finding.pk, m.section_id): m for m in created}
    logs, result = [], {}
    for a in assignments:
        for measure in a.removed:
            logs.append(
                entry(
                    actor=by,
                    action="measure.unassigned",
                    obj=measure,
                    finding_id=a.finding.pk,
                    changes={"section": [str(measure.section), None]},
                )
            )
        measures = result[a.finding.pk] = []
        for section in a.sections:
            measure = a.existing.get(section.pk)
            reply_by = a.reply_by.get(section.pk)
            if measure is None:
                measure = new[a.finding.pk, section.pk]
                logs.append(
                    entry(
                        actor=by,
                        action="measure.assigned",
                        obj=measure,
                        finding_id=a.finding.pk,
                        changes=diff({}, {"section": str(section), "reply_by": reply_by}),
                    )
                )
            elif measure.reply_by != reply_by:
                changes = diff({"reply_by": measure.reply_by}, {"reply_by": reply_by})
                measure.reply_by = reply_by
                changed.append(measure)
                logs.append(
                    entry(
                        actor=by,
                        action="measure.reply_by_changed",
                        obj=measure,
                        finding_id=a.finding.pk,
                        changes=changes,
                    )
                )
            measures.append(measure)
    if removed:
        Measure.objects.filter(pk__in=[m.pk for m in removed]).delete()
    Measure.objects.bulk_update(changed, ["reply_by"], batch_size=BATCH)
    record_many(logs)
    # recounts the sections that lost a measure too
    finding_status.refresh([a.finding.pk for a in assignments], sections={m.section_id for m in removed})
    return result


@transaction.atomic
def finding_assign(
    *,
    finding: Finding,
    sections,
    reply_by: datetime.date | None,
    by,
    reply_by_per_section: dict[int, datetime.date] | None = None,
) -> list[Measure]:
    """The audit office assigns a finding to sections: one measure per section. Sections no longer
    listed lose their measure only if it has no report yet (history is never deleted). Each section's
    reply-by date is `reply_by_per_section[section id]` when given, else the common `reply_by`."""
    existing = lock_measures([finding.pk])[finding.pk]
    allowed(by, "assign", finding).check()
    if not sections:
        raise WorkflowError("所管課を一つ以上選んでください。")
    wanted = list({s.pk: s for s in sections}.values())
    dates = {s.pk: (reply_by_per_section or {}).get(s.pk) or reply_by for s in wanted}
    assignment = Assignment(finding=finding, existing=existing, sections=wanted, reply_by=dates)
    bar = unassign_bars([assignment]).get(finding.pk)
    if bar:
        raise WorkflowError(bar)
    return write_assignments([assignment], by=by)[finding.pk]


# -- drafting and review ----------------------------------------------------------------------


def _validate_report(values: dict):
    errors = {}
    status = values["status"]
    if status.requires_reason and not (values.get("reason") or "").strip():
        errors["reason"] = f"「{status.label}」とする場合は理由を記入してください。"
    if status.is_done and not values.get("completed_on"):
        errors["completed_on"] = f"「{status.label}」の場合は措置年月日を記入してください。"
    if not status.is_done and values.get("completed_on"):
        errors["completed_on"] = "措置年月日は措置済の場合にのみ記入します。"
    if status.code == StatusCode.NOT_STARTED:
        errors["status"] = "報告では「未着手」以外の状況を選んでください。"
    if not status.requires_reason and not (values.get("text") or "").strip():
        # the published 措置状況 shows this text for every item, completed ones included
        errors["text"] = "措置（対応）の内容を記入してください。"
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def report_save_draft(*, measure: Measure, by, values: dict, version: int | None) -> MeasureReport:
    """Create the measure's open report or update it. `version` is the version the form was opened
    on (None for a new report); a mismatch means someone else saved first: StaleEdit, nothing written."""
    # a fresh query, not measure.reports: the caller's measure may carry prefetches with outer joins,
    # which PostgreSQL cannot lock
    report = (
        MeasureReport.objects.select_for_update().filter(measure_id=measure.pk, state__in=OPEN_REPORT_STATES).first()
    )
    if report is not None:
        report.measure = measure  # the same row: its section decides, without another query
    _check_transition(Action.SAVE_DRAFT, user=by, obj=report or measure)
    if report is not None and version != report.version:
        raise StaleEdit(report)
    if report is None and version is not None:
        latest = measure.reports.order_by("-pk").first()
        if latest is not None:  # the report this form was opened on has since been submitted
            raise StaleEdit(latest)
    values = {k: values.get(k) for k in REPORT_FIELDS}
    values["text"] = values["text"] or ""
    values["reason"] = values["reason"] or ""
    _validate_report(values)
    now = timezone.now()
    if report is None:
        report = MeasureReport(
            measure=measure,
            section_id=measure.section_id,  # as it stands now: a later reorganisation keeps it on this report
            drafted_by=by,
            drafted_at=now,
            last_edited_by=by,
            updated_at=now,
            state=ReportState.DRAFT,
            **values,
        )
        report.save()
        record(
            actor=by,
            action="report.created",
            obj=report,
            finding_id=measure.finding_id,
            changes=diff({}, values | {"state": ReportState.DRAFT}),
        )
        return report
    before = {k: getattr(report, k) for k in REPORT_FIELDS} | {"state": report.state}
    if not diff(before, values | {"state": ReportState.DRAFT}):
        # nothing changed (e.g. only a file was added in the same save): not an edit, so a 課長 who
        # only attaches evidence stays free to approve
        return report
    for key, value in values.items():
        setattr(report, key, value)
    report.state = ReportState.DRAFT
    report.last_edited_by = by
    report.updated_at = now
    report.version += 1
    report.save()
    changes = diff(before, values | {"state": ReportState.DRAFT})
    record(actor=by, action="report.edited", obj=report, finding_id=measure.finding_id, changes=changes)
    return report


def approval_bar(report: MeasureReport, user, *, in_section: bool | None = None) -> str:
    """Why `user` may not approve this report ("" when they may). The drafter never approves
    (指摘01; a database constraint also refuses it), nor the last editor, nor anyone who edited it
    since the last 課内差戻し (findings.access.drafter_bar). `in_section`: whether the measure is the
    user's section's, if known. report_submit refuses by the same rule (auditreg.access.allowed)."""
    if report.state != ReportState.DRAFT:
        return f"この報告は「{report.get_state_display()}」のため承認できません。"
    if in_section is None:
        in_section = Measure.objects.for_user(user, action=Action.SUBMIT).filter(pk=report.measure_id).exists()
    if not allowed(user, Action.SUBMIT) or not in_section:
        return "この課の承認者（課長・課長補佐・代理）のみ承認できます。"
    return drafter_bar(report, user)


def may_approve(report: MeasureReport, user) -> bool:
    """Whether `user` may approve this draft: an approver of its section who did not write it (the page
    uses this to offer the button; report_submit enforces the same rule)."""
    return bool(allowed(user, Action.SUBMIT, report))


def _open_report_for_update(report: MeasureReport) -> MeasureReport:
    return MeasureReport.objects.select_for_update().select_related("measure").get(pk=report.pk)


@transaction.atomic
def report_submit(*, report: MeasureReport, by) -> MeasureReport:
    """課長 approves the draft and submits it to the audit office. The approver may not be the
    person who drafted or last edited it (指摘01)."""
    report = _open_report_for_update(report)
    target = _check_transition(Action.SUBMIT, user=by, obj=report)
    report.state, report.approved_by, report.approved_at = target, by, timezone.now()
    report.save(update_fields=["state", "approved_by", "approved_at"])
    record(
        actor=by,
        action="report.submitted",
        obj=report,
        finding_id=report.measure.finding_id,
        changes={"state": [ReportState.DRAFT, target]},
    )
    return report


@transaction.atomic
def report_section_return(*, report: MeasureReport, by, comment: str) -> MeasureReport:
    """課内差戻し: an approver hands the draft back to the 担当 with a comment instead of editing it. The
    担当 revises and saves (back to 作成中); the approver can then approve what the 担当 saved."""
    report = _open_report_for_update(report)
    target = _check_transition(Action.SECTION_RETURN, user=by, obj=report)
    if not (comment or "").strip():
        raise ValidationError({"comment": "担当に依頼する修正の内容をコメントに記入してください。"})
    report.state = target
    report.version += 1  # a form opened before the hand-back is stale
    report.save(update_fields=["state", "version"])
    record(
        actor=by,
        action="report.section_returned",
        obj=report,
        finding_id=report.measure.finding_id,
        comment=comment,
        changes={"state": [ReportState.DRAFT, target]},
    )
    return report


def reports_for_review():
    """The reports to review, locked with their measures, with what the checks (the measure's section,
    the report's state), the review and the history read: no further query per report."""
    return MeasureReport.objects.select_for_update(of=("self", "measure")).select_related(
        "measure__finding", "measure__section__bureau", "measure__status", "status"
    )


def accept_reports(reports: list[MeasureReport], *, by, comment: str = "") -> None:
    """The acceptance of reports already locked (reports_for_review) and checked (Action.ACCEPT): each
    report's state, reviewer and comment, its measure's status and accepted report, the findings'
    status, one history entry per report. The same few queries for one report or many."""
    if not reports:
        return
    target = TRANSITIONS[Action.ACCEPT][1]
    now = timezone.now()
    logs = []
    for report in reports:
        measure = report.measure
        before = {"status": measure.status}
        report.state, report.reviewed_by, report.reviewed_at = target, by, now
        report.review_comment = comment or ""
        measure.status, measure.accepted_report = report.status, report
        logs.append(
            entry(
                actor=by,
                action="report.accepted",
                obj=report,
                finding_id=measure.finding_id,
                comment=comment or "",
                changes={"state": [ReportState.SUBMITTED, target]} | diff(before, {"status": report.status}),
            )
        )
    MeasureReport.objects.bulk_update(
        reports, ["state", "reviewed_by", "reviewed_at", "review_comment"], batch_size=BATCH
    )
    Measure.objects.bulk_update([r.measure for r in reports], ["status", "accepted_report"], batch_size=BATCH)
    finding_status.refresh({r.measure.finding_id for r in reports})
    record_many(logs)


@transaction.atomic
def report_accept(*, report: MeasureReport, by, comment: str = "") -> MeasureReport:
    report = reports_for_review().get(pk=report.pk)
    _check_transition(Action.ACCEPT, user=by, obj=report)
    accept_reports([report], by=by, comment=comment)
    return report


@transaction.atomic
def report_return(*, report: MeasureReport, by, comment: str) -> MeasureReport:
    """差戻し: back to the section with a comment it sees; it revises and resubmits."""
    report = _open_report_for_update(report)
    target = _check_transition(Action.RETURN, user=by, obj=report)
    if not (comment or "").strip():
        raise ValidationError({"comment": "差戻しの理由をコメントに記入してください。"})
    report.state, report.reviewed_by, report.reviewed_at, report.review_comment = target, by, timezone.now(), comment
    # the section must approve again after revising
    report.approved_by = report.approved_at = None
    report.save(update_fields=["state", "reviewed_by", "reviewed_at", "review_comment", "approved_by", "approved_at"])
    record(
        actor=by,
        action="report.returned",
        obj=report,
        finding_id=report.measure.finding_id,
        comment=comment,
        changes={"state": [ReportState.SUBMITTED, target]},
    )
    return report


# -- evidence ---------------------------------------------------------------------------------


@transaction.atomic
def evidence_add(*, measure: Measure, by, upload) -> EvidenceFile:
    allowed(by, "add_evidence", measure).check()
    base = (upload.name or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem, ext = os.path.splitext(base)
    ext = ext.lower()
    name = stem[: 200 - len(ext)] + ext  # shorten the stem, never the extension
    if ext not in EVIDENCE_TYPES:
        raise ValidationError({"file": f"この種類のファイルは登録できません（{', '.join(EVIDENCE_TYPES)}）。"})
    if upload.size > MAX_EVIDENCE_BYTES:
        raise ValidationError({"file": f"ファイルが大きすぎます（上限 {filesizeformat(MAX_EVIDENCE_BYTES)}）。"})
    if upload.size == 0:
        raise ValidationError({"file": "空のファイルは登録できません。"})
    content_type, magics = EVIDENCE_TYPES[ext]
    head = upload.read(16)
    upload.seek(0)
    if magics is not None and not any(head.startswith(m) for m in magics):
        raise ValidationError({"file": "ファイルの中身が拡張子と一致しません。"})
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    if magics is None:
        upload.seek(0)
        try:
            upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError({"file": "テキストファイルは UTF-8 で保存してください。"}) from None
    upload.seek(0)
    report = measure.reports.filter(state__in=OPEN_REPORT_STATES).first()
    if report is not None and report.state == ReportState.SUBMITTED:
        # the head approved what was there; evidence added now would reach review unseen by them
        raise WorkflowError("審査中の報告には資料を追加できません。差戻しまたは受理の後に登録してください。")
    evidence = EvidenceFile(
        measure=measure,
        report=report,
        original_name=name,
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=by,
        uploaded_at=timezone.now(),
    )
    evidence.file.save(name, upload, save=False)
    evidence.save()
    record(
        actor=by,
        action="evidence.added",
        obj=measure,
        finding_id=measure.finding_id,
        changes={"evidence": [None, f"{name}（{filesize(evidence.size)}・SHA-256 {evidence.sha256[:12]}…）"]},
    )
    return evidence
