import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import PasswordChangeView
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_POST

from . import access, accounts, middleware
from .changelog import record
from .choices import DeputyTitle, Role
from .models import CitySettings, User
from .validators import parse_id


def _require_admin(user):
    if not (access.allowed(user, "review_accounts") or (user.is_active and user.is_superuser)):
        raise PermissionDenied


def account_review_view(request):
    _require_admin(request.user)
    try:
        days = max(1, min(3650, int(request.GET.get("days", 90))))
    except ValueError:
        days = 90
    if request.method == "POST":
        ids = [i for i in map(parse_id, request.POST.getlist("user")) if i is not None]
        count = accounts.deactivate(users=User.objects.filter(pk__in=ids), by=request.user)
        messages.success(request, f"{count} 件のアカウントを無効にしました。")
        return redirect(f"{request.path}?days={days}")
    return render(request, "auditreg/account_review.html", accounts.review(days=days))


def city_settings(request):
    """Context processor: the city's settings (name, system name) for the page frame, read lazily."""

    return {"city": SimpleLazyObject(CitySettings.current)}


@require_POST
def session_extend_view(request):
    """The idle-timeout warning's 延長する button: counts as activity and answers the new idle limit."""
    request.session[middleware.KEY] = int(time.time())
    return JsonResponse({"idle_seconds": settings.SESSION_IDLE_SECONDS})


def home_view(request):
    """Each role's start page: the work list for a section, the dashboard for the audit office and
    admins, the 局's drafts awaiting approval for a 局の代決者, the report list for anyone else."""
    if access.allowed(request.user, "own_section"):
        return redirect("findings:worklist")
    if access.sees_all(request.user):
        return redirect("findings:dashboard")
    if access.is_bureau_approver(request.user):
        return redirect("findings:bureau_worklist")
    return redirect("findings:report_list")


@login_not_required
def favicon_view(request):
    """/favicon.ico, which browsers ask for whatever the page says (the login page included)."""
    response = FileResponse((settings.BASE_DIR / "static" / "favicon.ico").open("rb"), content_type="image/x-icon")
    response["Cache-Control"] = "max-age=86400"
    return response


class OwnPasswordChangeView(PasswordChangeView):
    """A user changes their own password (the project's validators apply); a change an admin required
    at next login is then done, and the change is recorded (never the password)."""

    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.user
        required = user.must_change_password
        if required:
            User.objects.filter(pk=user.pk).update(must_change_password=False)
        record(actor=user, action="user.password_changed", obj=user, changes={})
        update_session_auth_hash(self.request, user)
        messages.success(self.request, "パスワードを変更しました。")
        return response


def deputies_view(request):
    """A 課長 names the section's deputy approvers (課長補佐・代理) among its 担当."""

    user = request.user
    access.allowed(user, "name_deputies").check()
    staff = list(
        User.objects.filter(section_id=user.section_id, role=Role.SECTION_STAFF, is_active=True).order_by("pk")
    )
    if request.method == "POST":
        try:
            for person in staff:
                title = request.POST.get(f"title_{person.pk}", person.deputy_title)
                accounts.deputy_set(user=person, title=title, by=user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "承認の代理を保存しました。")
            return redirect("deputies")
    return render(
        request,
        "auditreg/deputies.html",
        {
            "staff": staff,
            "titles": DeputyTitle.choices,
            "heads": User.objects.filter(section_id=user.section_id, role=Role.SECTION_HEAD, is_active=True).order_by(
                "pk"
            ),
        },
    )
