"""base.html's menu links (auditreg.context_processors.nav_urls), reversed once per process: the
URLs reverse() gives, under the script prefix the app is served at, and the menu a user sees."""

import pytest
from django.urls import get_script_prefix, reverse, set_script_prefix

from auditreg.choices import Role
from auditreg.context_processors import NAV, nav_urls


def test_nav_urls_are_reverse_under_each_script_prefix():
    assert nav_urls() == {key: reverse(name) for key, name in NAV.items()}
    before = get_script_prefix()
    try:
        set_script_prefix("/audit/")
        assert nav_urls()["dashboard"] == reverse("findings:dashboard") == "/audit" + nav_urls_at("/")["dashboard"]
    finally:
        set_script_prefix(before)


def nav_urls_at(prefix):
    before = get_script_prefix()
    try:
        set_script_prefix(prefix)
        return nav_urls()
    finally:
        set_script_prefix(before)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        (Role.AUDITOR, ["findings:dashboard", "findings:status_report", "findings:bulk_select"], ["findings:worklist"]),
        (Role.SECTION_STAFF, ["findings:worklist", "imports:round_list"], ["findings:dashboard", "admin:index"]),
    ],
)
def test_menu_links_a_user_sees(client, make_user, role, shown, hidden):
    client.force_login(make_user("u", role))
    html = client.get(reverse("findings:report_list")).content.decode()
    assert f'<a href="{reverse("findings:report_list")}" aria-current="page">監査報告書</a>' in html
    for name in shown:
        assert f'href="{reverse(name)}"' in html, name
    for name in hidden:
        assert f'href="{reverse(name)}"' not in html, name


# -- the frame's memos: the menu per role and page, the static URLs, the actions of a set of roles ----


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("deputy", [False, True])
def test_actions_of_is_what_allowed_answers_without_an_object(make_user, role, deputy):
    from auditreg.access import RULES, actions_of, allowed

    user = make_user(f"u-{role}-{deputy}", role, **_bureau_of(role))
    if deputy:
        user.deputy_title = "課長補佐"  # a deputy approver: one more role (SECTION_APPROVER) for section users
    assert actions_of(user) == {a for a in RULES if allowed(user, a)}
    user.is_active = False
    assert actions_of(user) == frozenset() == {a for a in RULES if allowed(user, a)}


@pytest.mark.django_db
def test_the_kept_menu_is_the_menu_worked_out_anew_for_each_role_and_page(client, make_user):
    from auditreg.templatetags import menu

    pages = [reverse("findings:report_list"), reverse("findings:finding_list"), "/no-such-page/"]
    users = {role: make_user(f"m-{role}", role, **_bureau_of(role)) for role in Role}
    fresh = {}
    for role, user in users.items():
        client.force_login(user)
        for url in pages:
            menu._menus.clear()  # worked out for this request alone
            fresh[(role, url)] = _nav(client.get(url).content)
    assert menu._menus
    for role, user in users.items():  # now each from the memo that every role and page before it filled
        client.force_login(user)
        for url in pages:
            assert _nav(client.get(url).content) == fresh[(role, url)], (role, url)
    # what the memo must tell apart: roles, and the page marked current
    assert fresh[(Role.AUDITOR, pages[0])] != fresh[(Role.SECTION_STAFF, pages[0])]
    assert 'aria-current="page">監査報告書' in fresh[(Role.AUDITOR, pages[0])]
    assert 'aria-current="page">指摘・意見' in fresh[(Role.AUDITOR, pages[1])]
    assert "aria-current" not in fresh[(Role.AUDITOR, pages[2])]


def _bureau_of(role) -> dict:
    """A 局の代決者 needs a 局 (user_bureau_approver_has_bureau)."""
    from auditreg.models import Bureau

    if role != Role.BUREAU_APPROVER:
        return {}
    return {"bureau": Bureau.objects.get_or_create(name="総務局", defaults={"order": 1})[0]}


def _nav(html: bytes) -> str:
    return html.decode().split('<nav aria-label="メインメニュー">', 1)[1].split("</nav>", 1)[0]


def test_asset_is_static_under_each_static_url(settings):
    from django.templatetags.static import static

    from auditreg.templatetags.menu import asset

    assert asset("css/app.css") == static("css/app.css") == "/static/css/app.css"
    settings.STATIC_URL = "/assets/"
    assert asset("css/app.css") == static("css/app.css") == "/assets/css/app.css"


def test_the_500_page_drawn_without_a_request_has_its_links():
    from django.test import RequestFactory
    from django.views.defaults import server_error

    html = server_error(RequestFactory().get("/")).content.decode()
    assert '<link rel="stylesheet" href="/static/css/app.css">' in html
    assert f'<a href="{reverse("findings:finding_list")}">監査結果措置管理</a>' in html


@pytest.mark.django_db
def test_the_account_line_names_the_role_and_section_or_bureau_escaped(client, make_user):
    from auditreg.models import Section

    section = Section.objects.select_related("bureau").order_by("pk").first()
    staff = make_user("s", Role.SECTION_STAFF, section=section, last_name="<b>所管", first_name="花子")
    client.force_login(staff)
    html = client.get(reverse("findings:report_list")).content.decode()
    assert f"&lt;b&gt;所管 花子（{staff.get_role_display()}・{section.name}）" in html
    approver = make_user("b", Role.BUREAU_APPROVER, **_bureau_of(Role.BUREAU_APPROVER))
    client.force_login(approver)
    html = client.get(reverse("findings:report_list")).content.decode()
    assert f"監査 太郎（{approver.get_role_display()}・{approver.bureau.name}）" in html
    assert 'data-idle-seconds="' in html
