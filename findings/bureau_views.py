"""The start page of a 局の代決者: the drafts of their 局's sections awaiting approval (代決)."""

from django.db.models import Q
from django.shortcuts import render

from auditreg.access import allowed
from auditreg.models import ChangeLog

from .choices import ReportState
from .models import MeasureReport


def edited_by(user, report_ids) -> set[int]:
    """The reports among `report_ids` that `user` wrote since their last 課内差戻し (the list's form of
    findings.access._has_edited): one query for the whole list, not one per report."""
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


def bureau_drafts(*, user) -> list[MeasureReport]:
    """The drafts (作成中) of the measures the user sees (a 局の代決者: every section of their 局), in
    organisation order, each with `can_approve` (false for a draft the user drafted or edited: 指摘01)."""
    drafts = list(
        MeasureReport.objects.filter(state=ReportState.DRAFT)
        .for_user(user)
        .select_related("measure__finding__report", "measure__section", "drafted_by", "last_edited_by", "status")
        .order_by("measure__section__order", "measure__finding__report__fiscal_year", "measure__finding__order", "pk")
    )
    edited = edited_by(user, [r.pk for r in drafts])
    for r in drafts:
        r.can_approve = user.pk not in (r.drafted_by_id, r.last_edited_by_id) and r.pk not in edited
    return drafts


def bureau_worklist_view(request):
    allowed(request.user, "bureau_approve").check()
    drafts = bureau_drafts(user=request.user)
    return render(
        request,
        "findings/bureau_worklist.html",
        {"bureau": request.user.bureau, "drafts": drafts, "n_approvable": sum(r.can_approve for r in drafts)},
    )
