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
