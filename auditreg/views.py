from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from . import accounts
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


def city_settings(request):
    """Context processor: the city's settings (name, system name) for the page frame, read lazily."""
    from django.utils.functional import SimpleLazyObject

    from .models import CitySettings

    return {"city": SimpleLazyObject(CitySettings.current)}
