import time

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from . import accounts, middleware
from .choices import Role
from .models import User


def _require_admin(user):
    if not (user.is_active and (user.role == Role.ADMIN or user.is_superuser)):
        raise PermissionDenied


def account_review_view(request):
    _require_admin(request.user)
    try:
        days = max(1, min(3650, int(request.GET.get("days", 90))))
    except ValueError:
        days = 90
    if request.method == "POST":
        ids = [int(x) for x in request.POST.getlist("user") if x.isascii() and x.isdigit() and len(x) <= 18]
        count = accounts.deactivate(users=User.objects.filter(pk__in=ids), by=request.user)
        messages.success(request, f"{count} 件のアカウントを無効にしました。")
        return redirect(f"{request.path}?days={days}")
    return render(request, "auditreg/account_review.html", accounts.review(days=days))


@require_POST
def session_extend_view(request):
    """The idle-timeout warning's 延長する button: counts as activity and answers the new idle limit."""
    request.session[middleware.KEY] = int(time.time())
    return JsonResponse({"idle_seconds": settings.SESSION_IDLE_SECONDS})
