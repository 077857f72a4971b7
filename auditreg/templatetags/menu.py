"""base.html's main menu, rendered in Python: 13 entries, each shown by the user's role (`can`, from
auditreg.access.RULES) or by the data (`menu_has_systems`, `menu_has_budgets`) and marked
aria-current on its own pages. Through the template language its 36 {% if %} nodes were half of
base.html's rendering, on every page. The output is what the template gave, line for line.

With it the frame's other links, each the same on every page (`{% nav_url %}`, `{% asset %}`), and the
account line (`{% account_line %}`)."""

import html

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.utils.safestring import mark_safe

from auditreg.access import actions_of
from auditreg.context_processors import nav_urls

register = template.Library()


def _is(*names):
    return lambda here, app: here in names


def _app(name):
    return lambda here, app: app == name


def _prefix(prefix):
    return lambda here, app: (here or "")[: len(prefix)] == prefix


def _never(here, app):
    return False


# (when shown, nav_urls key, label, when current); when shown: None (always), ("can", action),
# ("context", name) or ("staff",)
MENU = [
    (None, "report_list", "監査報告書", _is("report_list", "report_detail")),
    (None, "finding_list", "指摘・意見", _is("finding_list", "finding_detail")),
    (("context", "menu_has_systems"), "system_list", "情報システム", _app("systems")),
    (("context", "menu_has_budgets"), "budget_tree", "DX予算・事業", _app("budgets")),
    (("can", "own_section"), "worklist", "自課の措置", _is("worklist")),
    (("can", "bureau_approve"), "bureau_worklist", "局の承認待ち", _is("bureau_worklist")),
    (("can", "view_all"), "status_report", "措置状況・公表", _is("status_report", "publication_list")),
    (("can", "view_all"), "dashboard", "ダッシュボード", _is("dashboard")),
    # one line: the office's 取込・照会, else a section's 照会
    (
        (("can", "import_data"), ("can", "own_section")),
        ("import_list", "round_list"),
        ("データ取込・照会", "照会"),
        _app("imports"),
    ),
    (("can", "review_accounts"), "account_review", "アカウント点検", _never),
    (("can", "bulk_work"), "bulk_select", "一括処理", _prefix("bulk_")),
    (("can", "reorganise"), "reorganisation_list", "機構改革", _prefix("reorganisation")),
    (("staff",), "admin", "管理", _never),
]


def _conditions(when):
    return when if when and isinstance(when[0], tuple) else (when,)


# the data the menu reads from the context (the ("context", name) conditions of MENU)
_CONTEXT_FLAGS = tuple(
    dict.fromkeys(c[1] for when, *_ in MENU for c in _conditions(when) if c is not None and c[0] == "context")
)


def _shown(when, context, actions, user) -> bool:
    if when is None:
        return True
    if when[0] == "can":
        return when[1] in actions
    if when[0] == "context":  # as {% if %} reads it: a callable (systems' any_systems) is called
        value = context.get(when[1])
        return bool(value() if callable(value) else value)
    return bool(user.is_staff)


def _item(urls, key, label, current) -> str:
    mark = ' aria-current="page"' if current else ""
    return f'<li><a href="{html.escape(urls[key])}"{mark}>{label}</a></li>'


def _lines(context, user, actions, urls, here, app) -> str:
    lines = []
    for when, key, label, current in MENU:
        item = ""
        if isinstance(key, tuple):  # the first shown of two
            for w, k, lab in zip(when, key, label, strict=True):
                if _shown(w, context, actions, user):
                    item = _item(urls, k, lab, current(here, app))
                    break
        elif _shown(when, context, actions, user):
            item = _item(urls, key, label, current(here, app))
        lines.append(f"      {item}\n")
    return "".join(lines)


# everything the menu depends on -> its lines: a handful of roles times the pages, the same for every user
# with those roles (working the 13 entries out again was a third of base.html's rendering)
_menus: dict[tuple, str] = {}
_MENUS_MAX = 4096  # far more than roles x pages; only a bound against anything unforeseen


@register.simple_tag(takes_context=True)
def main_menu(context):
    """The menu's <li> lines (URLs from nav_urls, already safe paths; labels are fixed text)."""
    user = context["user"]
    urls = context.get("nav_urls") or nav_urls()
    match = getattr(context.get("request"), "resolver_match", None)
    here, app = (match.url_name, match.app_name) if match else (None, None)
    actions = actions_of(user)
    flags = tuple(_shown(("context", name), context, actions, user) for name in _CONTEXT_FLAGS)
    key = (actions, bool(user.is_staff), flags, here, app, tuple(urls.values()))
    menu = _menus.get(key)
    if menu is None:
        if len(_menus) >= _MENUS_MAX:
            _menus.clear()
        menu = _menus[key] = mark_safe(_lines(context, user, actions, urls, here, app))  # noqa: S308 - fixed labels, reversed URLs
    return menu


@register.simple_tag(takes_context=True)
def account_line(context):
    """The header's 「name（role・section or 局）」, as the template's five lookups and {% if %} gave it
    (escaped as a whole: the brackets and ・ need no escaping)."""
    user = context["user"]
    if user.section:
        where = f"・{user.section.name}"
    elif user.bureau_id:
        where = f"・{user.bureau.name}"
    else:
        where = ""
    return f"{user.display_name}（{user.get_role_display()}{where}）"


@register.simple_tag
def nav_url(key):
    """A link of the frame by its nav_urls key, as {% url %} gave it (reversed once per process). No
    context needed: 500.html, drawn without a request, has its links too."""
    return nav_urls()[key]


_assets: dict = {}


@register.simple_tag
def asset(path):
    """{% static path %}, worked out once per process for each STATIC_URL (which holds the script
    prefix): the same three URLs on every page, and the storage's url() joined and quoted them anew
    each time (a tenth of the cached dashboard's rendering)."""
    key = (settings.STATIC_URL, path)
    url = _assets.get(key)
    if url is None:
        url = _assets[key] = static(path)
    return url
