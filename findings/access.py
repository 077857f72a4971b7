"""The findings app's part of the access policy (auditreg.access): its actions in the one table,
the checks of one measure or report, and the gates that fetch one object and check it.

- Findings (and the report) are read by every active user; measures, their reports and evidence by
  READ_ALL_ROLES and by the measure's own section (`Measure.objects.for_user`).
- The workflow's actions are TRANSITIONS (findings.choices): the roles there, then the measure's
  section, the report's state and, for approval, the drafter-is-not-approver rule (the report's 指摘01).
"""

from django.db.models import Q
from django.shortcuts import get_object_or_404

from auditreg import access
from auditreg.access import YES, no, rule
from auditreg.choices import Role
from auditreg.models import ChangeLog

from .choices import TRANSITIONS, Action, ReportState
from .models import EvidenceFile, Finding, Measure, MeasureReport


class WorkflowError(Exception):
    """A refused action, with a message for the user (in Japanese): a wrong state, the drafter rule."""


# -- object checks -------------------------------------------------------------------------------


def _measure(obj) -> Measure:
    return obj.measure if isinstance(obj, MeasureReport) else obj


def _own_section(user, obj) -> bool:
    return access.is_section_user(user) and _measure(obj).section_id == user.section_id


def _approves_for(user, obj) -> bool:
    """Whose drafts the user approves: their own section's, or (局の代決者) every section of their 局."""
    if _own_section(user, obj):
        return True
    return access.is_bureau_approver(user) and _measure(obj).section.bureau_id == user.bureau_id


def _state_of(obj):
    """The state an action starts from: a report's, or None for a measure without an open report."""
    return obj.state if isinstance(obj, MeasureReport) else None


def _wrong_state(action: Action, state) -> str:
    label = ReportState(state).label if state else "未作成"
    return f"この報告は「{label}」のため、「{action.label}」はできません。"


def edited_since_hand_back(user, report_ids) -> set[int]:
    """The reports among `report_ids` that `user` wrote (not only as creator or last editor: anyone who
    saved it, from the change log) since each was last handed back within the section (課内差戻し). After
    a hand-back the 担当's own save makes the text theirs: what the approver wrote before is, from then
    on, a suggestion the 担当 adopted, exactly as if it had been written in the hand-back comment.
    One query for any number of reports: the user's writes and every hand-back, newest first."""
    seen, edited = set(), set()
    entries = (
        ChangeLog.objects.filter(object_type=MeasureReport._meta.label_lower, object_id__in=list(report_ids))
        .filter(Q(actor=user, action__in=["report.created", "report.edited"]) | Q(action="report.section_returned"))
        .order_by("-pk")
        .values_list("object_id", "action")
    )
    for report_id, action in entries:
        if report_id in seen:
            continue
        seen.add(report_id)  # only the newest entry counts: a hand-back after the user's writes clears them
        if action != "report.section_returned":
            edited.add(report_id)
    return edited


def has_written(report: MeasureReport, user, *, edited: set[int] | None = None) -> bool:
    """Whether `user` counts as a writer of the report, who may not approve it (指摘01): its drafter, its
    last editor, or someone who saved it since its last 課内差戻し. `edited`: edited_since_hand_back for
    a whole list, computed once by the caller (otherwise one query)."""
    if user.pk in (report.drafted_by_id, report.last_edited_by_id):
        return True
    return report.pk in (edited if edited is not None else edited_since_hand_back(user, [report.pk]))


def drafter_bar(report: MeasureReport, user) -> str:
    """The drafter-is-not-approver rule (指摘01; a database constraint also refuses the drafter): the
    drafter never approves, nor the last editor, nor anyone who edited it since the last 課内差戻し."""
    if user.pk == report.drafted_by_id:
        return (
            "作成・編集した人は、同じ報告を承認できません（指摘01）。この報告はあなたが作成しました。"
            "別の課長・課長補佐・代理、または局の代決者が承認します。"
        )
    if has_written(report, user):
        return (
            "作成・編集した人は、同じ報告を承認できません（指摘01）。あなたはこの報告を編集しています。"
            "担当に「課内差戻し」で修正を依頼し、"
            "担当が保存し直せば承認できます。別の課長・課長補佐・代理、または局の代決者が承認することもできます。"
        )
    return ""


def _transition_check(action: Action, *, scope: str, extra=None):
    """The object check of a transition: the user's scope (own section, or every measure), then the
    state it starts from (TRANSITIONS), then `extra` (the drafter rule)."""
    starts = TRANSITIONS[action][0]

    def check(user, obj):
        if not IN_SCOPE[scope](user, obj):
            return no(SECTION_ONLY.get(action, ""))
        state = _state_of(obj)
        if state not in starts:
            return no(_wrong_state(action, state), WorkflowError)
        bar = extra(obj, user) if extra else ""
        return no(bar, WorkflowError) if bar else YES

    return check


IN_SCOPE = {
    "section": _own_section,
    "approver": _approves_for,
    "all": lambda user, obj: access.sees_all(user) or _own_section(user, obj),
}
SECTION_ONLY = {
    Action.SAVE_DRAFT: "この措置は編集できません（自課の措置のみ編集できます）。",
    Action.SUBMIT: "自課（局の代決者は自局の課）の措置のみ承認できます。",
    Action.SECTION_RETURN: "自課（局の代決者は自局の課）の措置のみ差し戻せます。",
}
SCOPES = {Action.ACCEPT: "all", Action.RETURN: "all", Action.SUBMIT: "approver", Action.SECTION_RETURN: "approver"}
EXTRA = {Action.SUBMIT: drafter_bar}


def _evidence_check(user, measure):
    return YES if _own_section(user, measure) else no("自課の措置にのみ資料を登録できます。")


access.register(
    {
        # the workflow: one rule per transition, roles straight from TRANSITIONS
        **{
            action: rule(
                roles,
                refused=f"「{action.label}」はこの役割では行えません。",
                check=_transition_check(action, scope=SCOPES.get(action, "section"), extra=EXTRA.get(action)),
            )
            for action, (_, _, roles) in TRANSITIONS.items()
        },
        "add_evidence": rule(
            access.SECTION_ROLES, refused="自課の措置にのみ資料を登録できます。", check=_evidence_check
        ),
        "bureau_approve": rule(Role.BUREAU_APPROVER, refused="局の承認待ちは局の代決者の画面です。"),
        "assign": rule(Role.AUDITOR, refused="割当は監査事務局が行います。"),
        "publish": rule(Role.AUDITOR, refused="公表は監査事務局が行います。"),
        "bulk_work": rule(Role.AUDITOR, refused="一括処理は監査事務局が行います。"),
        "share_filter": rule(access.OFFICE_ROLES, refused="絞り込みを共有できるのは監査事務局です。"),
        "reorganise": rule(access.OFFICE_ROLES, refused="機構改革の引継ぎは監査事務局または管理者が行います。"),
    }
)


# -- gates: fetch one object and check it (404 alike for invisible and missing) -------------------


def finding_for(user, pk, *, action: str | None = None, queryset=None) -> Finding:
    finding = get_object_or_404((queryset if queryset is not None else Finding.objects).for_user(user), pk=pk)
    if action is not None:
        access.allowed(user, action, finding).check()
    return finding


def measure_for(user, pk, *, action: str | None = None, queryset=None) -> Measure:
    """One measure the user may see (404 otherwise); with `action`, also one they may act on (403)."""
    measure = get_object_or_404((queryset if queryset is not None else Measure.objects).for_user(user), pk=pk)
    if action is not None:
        access.allowed(user, action, measure).check()
    return measure


def evidence_for(user, pk, *, queryset=None) -> EvidenceFile:
    return get_object_or_404((queryset if queryset is not None else EvidenceFile.objects).for_user(user), pk=pk)
