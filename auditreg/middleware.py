"""Session idle timeout: a signed-in session ends after SESSION_IDLE_SECONDS without a request.

Hand-written (a dozen lines) rather than SESSION_SAVE_EVERY_REQUEST, which writes the session row
on every request: here the last-seen time is refreshed at most once a minute."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.shortcuts import redirect

KEY = "auditreg_last_seen"
REFRESH_SECONDS = 60


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
                logout(request)
                messages.info(request, "一定時間操作がなかったため、ログアウトしました。もう一度ログインしてください。")
                return redirect(f"{settings.LOGIN_URL_PATH}?next={request.path}")
            if last is None or now - last >= REFRESH_SECONDS:
                request.session[KEY] = now
        return self.get_response(request)
