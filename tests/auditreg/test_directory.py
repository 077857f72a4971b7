"""Directory login against a real OpenLDAP server (Debian's slapd, started by the fixture): people in
two sections, an auditor group, a section-head group, a transfer and a person removed from the
directory; local accounts keep working beside it."""

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from auditreg import accounts, directory
from auditreg.choices import Role
from auditreg.models import ChangeLog, Section, User
from auditreg.settings.base import ldap_tls_settings

from . import slapd

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not slapd.available(), reason="slapd / ldap-utils not installed (.ci/run installs them)"),
]

PASSWORD = "directory-password-of-{}"
SERVICE_DN = f"cn=auditreg-svc,ou=system,{slapd.SUFFIX}"
SERVICE_PASSWORD = "service-account-password"
AUDITORS = f"cn=auditreg-auditors,{slapd.GROUPS}"
HEADS = f"cn=auditreg-section-heads,{slapd.GROUPS}"
KOHO = f"ou=広報広聴課,ou=都市政策局,{slapd.PEOPLE}"
JINJI = f"ou=人事課,ou=総務局,{slapd.PEOPLE}"
AUDIT_OFFICE = f"ou=監査事務局,{slapd.PEOPLE}"  # not a 課 of the master: auditors need no section


def person(uid, parent, sn, given):
    return {
        "dn": f"uid={uid},{parent}",
        "objectClass": ["inetOrgPerson"],
        "uid": uid,
        "cn": f"{sn} {given}",
        "sn": sn,
        "givenName": given,
        "mail": f"{uid}@city.example",
        "userPassword": PASSWORD.format(uid),
    }


def ou(dn):
    return {"dn": dn, "objectClass": "organizationalUnit", "ou": dn.split(",", 1)[0].split("=", 1)[1]}


@pytest.fixture(scope="module")
def server():
    s = slapd.Slapd().start()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
def ldap(server):
    """A fresh directory tree for each test (the server stays up for the module)."""
    entries = [
        {"dn": slapd.SUFFIX, "objectClass": ["dcObject", "organization"], "dc": "city", "o": "City"},
        ou(f"ou=system,{slapd.SUFFIX}"),
        {
            "dn": SERVICE_DN,
            "objectClass": ["organizationalRole", "simpleSecurityObject"],
            "cn": "auditreg-svc",
            "userPassword": SERVICE_PASSWORD,
        },
        ou(slapd.PEOPLE),
        ou(f"ou=都市政策局,{slapd.PEOPLE}"),
        ou(KOHO),
        ou(f"ou=総務局,{slapd.PEOPLE}"),
        ou(JINJI),
        ou(AUDIT_OFFICE),
        person("koho1", KOHO, "広報", "一郎"),
        person("kohohead", KOHO, "広報", "課長"),
        person("jinji1", JINJI, "人事", "花子"),
        person("kansa1", AUDIT_OFFICE, "監査", "太郎"),
        person("nowhere", f"ou=system,{slapd.SUFFIX}", "所属", "なし"),
        person("admin", AUDIT_OFFICE, "乗っ取り", "試行"),  # same name as the local admin
        ou(slapd.GROUPS),
        {
            "dn": AUDITORS,
            "objectClass": "groupOfNames",
            "cn": "auditreg-auditors",
            "member": [f"uid=kansa1,{AUDIT_OFFICE}", f"uid=admin,{AUDIT_OFFICE}"],
        },
        {
            "dn": HEADS,
            "objectClass": "groupOfNames",
            "cn": "auditreg-section-heads",
            "member": [f"uid=kohohead,{KOHO}"],
        },
    ]
    server.add(entries)
    settings = {
        "LDAP_AUTH_URL": [server.url],
        "LDAP_AUTH_SEARCH_BASE": slapd.PEOPLE,
        "LDAP_AUTH_CONNECTION_USERNAME": SERVICE_DN,
        "LDAP_AUTH_CONNECTION_PASSWORD": SERVICE_PASSWORD,
        "AUDITREG_LDAP_GROUP_BASE": slapd.GROUPS,
        "AUDITREG_LDAP_AUDITOR_GROUP": AUDITORS,
        "AUDITREG_LDAP_SECTION_HEAD_GROUP": HEADS,
        "AUTHENTICATION_BACKENDS": [
            "axes.backends.AxesStandaloneBackend",
            "auditreg.directory.DirectoryBackend",
            "django.contrib.auth.backends.ModelBackend",
        ],
    }
    with override_settings(**settings):
        yield server
    server.delete(slapd.SUFFIX, recursive=True)


def login(client, username, password, ip="10.1.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def section(bureau, name):
    return Section.objects.get(bureau__name=bureau, name=name)


def test_people_in_two_sections_get_their_section_and_role(client, ldap):
    assert login(client, "koho1", PASSWORD.format("koho1")).status_code == 302
    koho1 = User.objects.get(username="koho1")
    assert (koho1.role, koho1.section) == (Role.SECTION_STAFF, section("都市政策局", "広報広聴課"))
    assert (koho1.last_name, koho1.first_name, koho1.email) == ("広報", "一郎", "koho1@city.example")
    assert koho1.directory_dn == f"uid=koho1,{KOHO}" and not koho1.has_usable_password()
    assert int(client.session["_auth_user_id"]) == koho1.pk

    client.logout()
    assert login(client, "jinji1", PASSWORD.format("jinji1")).status_code == 302
    assert User.objects.get(username="jinji1").section == section("総務局", "人事課")


def test_groups_give_the_auditor_and_section_head_roles(client, ldap):
    assert login(client, "kansa1", PASSWORD.format("kansa1")).status_code == 302
    kansa1 = User.objects.get(username="kansa1")
    assert (kansa1.role, kansa1.section) == (Role.AUDITOR, None)
    client.logout()
    assert login(client, "kohohead", PASSWORD.format("kohohead")).status_code == 302
    head = User.objects.get(username="kohohead")
    assert (head.role, head.section) == (Role.SECTION_HEAD, section("都市政策局", "広報広聴課"))


def test_wrong_password_and_unknown_person_are_refused(client, ldap):
    assert login(client, "koho1", "not-the-password").status_code == 200
    assert login(client, "stranger", "whatever-password").status_code == 200
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(username__in=["koho1", "stranger"]).exists()


def test_a_person_without_section_or_group_gets_no_session(client, ldap):
    assert login(client, "nowhere", PASSWORD.format("nowhere")).status_code == 200
    assert "_auth_user_id" not in client.session and not User.objects.filter(username="nowhere").exists()


def test_a_transfer_in_the_directory_moves_the_account_at_the_next_login(client, ldap):
    login(client, "koho1", PASSWORD.format("koho1"))
    client.logout()
    ldap.move(f"uid=koho1,{KOHO}", JINJI)
    ldap.modify(slapd.ldif([{"dn": HEADS, "changetype": "modify", "add": "member", "member": f"uid=koho1,{JINJI}"}]))
    assert login(client, "koho1", PASSWORD.format("koho1")).status_code == 302
    koho1 = User.objects.get(username="koho1")
    assert (koho1.role, koho1.section) == (Role.SECTION_HEAD, section("総務局", "人事課"))
    log = ChangeLog.objects.get(action="user.directory_synced", object_id=koho1.pk)
    assert log.changes["section"] == ["都市政策局 広報広聴課", "総務局 人事課"]
    assert log.changes["role"] == [Role.SECTION_STAFF, Role.SECTION_HEAD]


def test_review_sync_moves_accounts_without_waiting_for_a_login(client, ldap):
    login(client, "jinji1", PASSWORD.format("jinji1"))
    ldap.move(f"uid=jinji1,{JINJI}", KOHO)
    call_command("review_accounts", "--sync-directory")
    assert User.objects.get(username="jinji1").section == section("都市政策局", "広報広聴課")


def test_a_person_removed_from_the_directory_is_listed_and_cannot_sign_in(client, ldap, make_user, capsys):
    for uid in ("koho1", "jinji1"):
        login(client, uid, PASSWORD.format(uid))
        client.logout()
    local = make_user("local-auditor", Role.AUDITOR, last_name="地元")  # local accounts are not the directory's
    ldap.delete(f"uid=jinji1,{JINJI}")

    assert login(client, "jinji1", PASSWORD.format("jinji1")).status_code == 200
    assert [u.username for u in accounts.review(days=90)["directory_missing"]] == ["jinji1"]

    admin = make_user("reviewer", Role.ADMIN, last_name="管理")
    client.force_login(admin)
    page = client.get(reverse("account_review"))
    assert [u.username for u in page.context["directory_missing"]] == ["jinji1"]
    assert "ディレクトリにないアカウント" in page.content.decode()

    call_command("review_accounts", "--deactivate-missing")
    assert "jinji1" in capsys.readouterr().out
    assert not User.objects.get(username="jinji1").is_active
    assert User.objects.get(username="koho1").is_active and User.objects.get(pk=local.pk).is_active


def test_local_accounts_remain_and_cannot_be_taken_over(client, ldap, make_user):
    admin = make_user("admin", Role.ADMIN, last_name="管理")
    # the directory's "admin" (its own password) does not get the local admin account
    assert login(client, "admin", PASSWORD.format("admin")).status_code == 200
    assert "_auth_user_id" not in client.session
    assert User.objects.get(pk=admin.pk).directory_dn == ""
    # the local password still works beside the directory
    assert login(client, "admin", "correct-horse-battery-staple").status_code == 302


def test_with_the_directory_down_local_accounts_still_sign_in(client, ldap, make_user):
    make_user("fallback", Role.AUDITOR, last_name="予備")
    with override_settings(LDAP_AUTH_URL=["ldap://127.0.0.1:1"]):
        assert login(client, "koho1", PASSWORD.format("koho1")).status_code == 200
        assert login(client, "fallback", "correct-horse-battery-staple").status_code == 302
        client.logout()
        result = accounts.review(days=90)
        assert result["directory_missing"] is None and "接続できなかった" in result["directory_error"]


def test_directory_off_by_default(settings):
    assert not directory.enabled()
    assert "auditreg.directory.DirectoryBackend" not in settings.AUTHENTICATION_BACKENDS


def test_a_dn_typed_as_the_user_name_is_not_bound_as_such(client, ldap):
    # the service account's DN and password typed into the login form give no session
    assert login(client, SERVICE_DN, SERVICE_PASSWORD).status_code == 200
    assert "_auth_user_id" not in client.session
    assert directory.format_username({"username": SERVICE_DN}) == SERVICE_DN  # the library's own rebind
    assert directory.format_username({"username": "koho1"}) == f"uid=koho1,{KOHO}"
    assert directory.format_username({"username": "uid=koho1,ou=x"}).endswith(",invalid")


def test_ldaps_with_the_domain_controllers_ca_signs_in(client, ldap):
    with override_settings(LDAP_AUTH_URL=[ldap.tls_url], **ldap_tls_settings(ldap.ca_file)):
        assert login(client, "koho1", PASSWORD.format("koho1")).status_code == 302


def test_ldaps_with_an_unknown_certificate_is_refused(client, ldap, make_user):
    make_user("fallback", Role.AUDITOR, last_name="予備")
    # the system's CA store does not know the server's certificate: no password is sent to it
    with override_settings(LDAP_AUTH_URL=[ldap.tls_url], **ldap_tls_settings(None)):
        assert login(client, "koho1", PASSWORD.format("koho1")).status_code == 200
        assert not User.objects.filter(username="koho1").exists()
        assert login(client, "fallback", "correct-horse-battery-staple").status_code == 302
