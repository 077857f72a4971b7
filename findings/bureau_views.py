"""The start page of a 局の代決者: the drafts of their 局's sections awaiting approval (代決)."""

from django.shortcuts import render

from auditreg.access import allowed

from .selectors import bureau_drafts


def bureau_worklist_view(request):
    allowed(request.user, "bureau_approve").check()
    drafts = bureau_drafts(user=request.user)
    return render(
        request,
        "findings/bureau_worklist.html",
        {"bureau": request.user.bureau, "drafts": drafts, "n_approvable": sum(r.can_approve for r in drafts)},
    )
