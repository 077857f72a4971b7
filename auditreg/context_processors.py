from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

from . import access


def session(request):
    """The idle limit the page's timeout warning counts down from (static/js/app.js), as text: an
    attribute's digits, never localised (an integer went through number formatting on every page)."""
    return {"idle_seconds": str(settings.SESSION_IDLE_SECONDS)}


def can(request):
    """`can.<action>`: what the signed-in user's role may do, from the one table (auditreg.access.RULES),
    for the navigation and the pages' links (`{% if can.view_all %}`). The role part only, no query; a
    page that acts on one object gets its own flags from allowed(user, action, obj). With it `nav_urls`,
    the menu's links (base.html)."""
    return {"can": _Can(getattr(request, "user", None)), "nav_urls": nav_urls()}


# base.html's links: key -> URL name (none takes an argument)
NAV = {
    "finding_list": "findings:finding_list",
    "report_list": "findings:report_list",
    "system_list": "systems:system_list",
    "budget_tree": "budgets:budget_tree",
    "worklist": "findings:worklist",
    "bureau_worklist": "findings:bureau_worklist",
    "status_report": "findings:status_report",
    "dashboard": "findings:dashboard",
    "import_list": "imports:import_list",
    "round_list": "imports:round_list",
    "account_review": "account_review",
    "bulk_select": "findings:bulk_select",
    "reorganisation_list": "findings:reorganisation_list",
    "admin": "admin:index",
    "password_change": "password_change",
    "logout": "logout",
    "session_extend": "session_extend",
}
_nav_urls: dict = {}


def nav_urls() -> dict:
    """The menu's URLs, reversed once per process for each script prefix and URLconf: the same URLs
    on every page, and 17 {% url %} tags were a tenth of a short page's rendering."""
    key = (get_script_prefix(), get_urlconf())
    urls = _nav_urls.get(key)
    if urls is None:
        urls = _nav_urls[key] = {k: reverse(name) for k, name in NAV.items()}
    return urls


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
