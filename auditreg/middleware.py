"""Session idle timeout: a signed-in session ends after SESSION_IDLE_SECONDS without a request.

Hand-written (a dozen lines) rather than SESSION_SAVE_EVERY_REQUEST, which writes the session row
on every request: here the last-seen time is refreshed at most once a minute.

A form posted after the session ended is not lost: its text fields are kept in the new (anonymous)
session, the login page returns to the page the form was on (never to the POST-only URL, which
would answer 405), and that page puts the text back into its form (`pop_restored_post`)."""

import time
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme

KEY = "auditreg_last_seen"
RESTORE_KEY = "auditreg_restore"
REFRESH_SECONDS = 60
RESTORE_MAX_CHARS = 60_000  # what one report form can hold (10,000 + 5,000 characters and a few dates)
SKIPPED_FIELDS = {"csrfmiddlewaretoken"}

# POST-only URLs -> the page their form is on (same URL arguments). Anything else posted returns to
# the page itself when it answers GET, else to the start page.
FORM_PAGES = {
    "findings:measure_save": "findings:measure_detail",
    "findings:evidence_upload": "findings:measure_detail",
    "findings:report_submit": "findings:measure_detail",
    "findings:report_section_return": "findings:measure_detail",
    "findings:report_review": "findings:measure_detail",
}


def _mapped(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    page = FORM_PAGES.get(match.view_name)
    if page is None:
        return path
    return reverse(page, kwargs={k: v for k, v in match.kwargs.items() if k == "pk"})


def page_for(request) -> str:
    """The URL to come back to after login: the request's own for GET; for a POST, the page its form
    is on (FORM_PAGES, else the same-origin page that sent it, else the start page)."""
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    if resolve_or_none(request.path_info) in FORM_PAGES:
        return _mapped(request.path_info) or "/"
    referer = request.headers.get("referer", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}):
        return _mapped(urlsplit(referer).path) or "/"
    return "/"


def resolve_or_none(path: str) -> str | None:
    try:
        return resolve(path).view_name
    except Resolver404:
        return None


def _keep_post(request, page: str, user_id) -> None:
    if request.method != "POST":
        return
    data = {k: v for k, v in request.POST.items() if k not in SKIPPED_FIELDS}
    if not data or sum(len(v) for v in data.values()) > RESTORE_MAX_CHARS:
        return
    request.session[RESTORE_KEY] = {"page": page, "user": user_id, "data": data}


def pop_restored_post(request) -> dict | None:
    """The fields typed on this page before the session ended (once), for the same user or an unknown one."""
    kept = request.session.get(RESTORE_KEY)
    if not kept or kept.get("page") != request.path:
        return None
    if kept.get("user") not in (None, request.user.pk):
        return None
    del request.session[RESTORE_KEY]
    messages.warning(request, "ログインの前に入力していた内容をフォームに戻しました。まだ保存されていません。")
    return kept["data"]


def _login_redirect(request, page: str):
    return redirect(f"{settings.LOGIN_URL_PATH}?{urlencode({'next': page})}")


@receiver(user_logged_in)
def _mark_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[KEY] = int(time.time())


class IdleTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            last = request.session.get(KEY)
            if last is not None and now - last > settings.SESSION_IDLE_SECONDS:
                user_id, page = user.pk, page_for(request)
                logout(request)
                _keep_post(request, page, user_id)
                if request.method == "POST":
                    messages.info(
                        request,
                        "一定時間操作がなかったため、ログアウトしました。入力した内容は保存されていませんが、"
                        "ログインすると元の画面のフォームに戻ります。",
                    )
                else:
                    messages.info(request, "一定時間操作がなかったため、ログアウトしました。ログインし直してください。")
                return _login_redirect(request, page)
            if last is None or now - last >= REFRESH_SECONDS:
                request.session[KEY] = now
        return self.get_response(request)


class FormKeepingLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Django's LoginRequiredMiddleware, but a POST from a signed-out browser keeps its text and the
    login returns to the form's page (`next` is never a POST-only URL)."""

    def handle_no_permission(self, request, view_func):
        page = page_for(request)
        _keep_post(request, page, None)
        return _login_redirect(request, page)


class PasswordChangeRequiredMiddleware:
    """An account an admin marked "change at next login" reaches only the password page (and logout)."""

    ALLOWED = ("password_change", "logout", "session_extend", "favicon")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "must_change_password", False):
            name = resolve_or_none(request.path_info)
            if name not in self.ALLOWED and not request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/")):
                messages.warning(
                    request, "管理者の指示により、パスワードの変更が必要です。新しいパスワードを設定してください。"
                )
                return redirect("password_change")
        return self.get_response(request)
