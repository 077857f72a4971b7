from django.conf import settings


def session(request):
    """The idle limit the page's timeout warning counts down from (static/js/app.js)."""
    return {"idle_seconds": settings.SESSION_IDLE_SECONDS}
