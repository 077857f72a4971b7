from django.conf import settings

from . import access


def session(request):
    """The idle limit the page's timeout warning counts down from (static/js/app.js)."""
    return {"idle_seconds": settings.SESSION_IDLE_SECONDS}


def can(request):
    """`can.<action>`: what the signed-in user's role may do, from the one table (auditreg.access.RULES),
    for the navigation and the pages' links (`{% if can.view_all %}`). The role part only, no query; a
    page that acts on one object gets its own flags from allowed(user, action, obj)."""
    return {"can": _Can(getattr(request, "user", None))}


class _Can:
    """Answers `can.<action>` when a template asks (two or three per page), once each."""

    def __init__(self, user):
        self._user, self._seen = user, {}

    def __getitem__(self, action):
        if action not in access.RULES:
            raise KeyError(action)  # not an action: the template language shows it as empty
        if action not in self._seen:
            self._seen[action] = bool(access.allowed(self._user, action))
        return self._seen[action]
