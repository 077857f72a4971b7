"""Directory login (Active Directory or OpenLDAP) through django-python3-ldap.

The directory decides who a person is and where they work:
- the section is the person's place in the tree, `ou=<課>,ou=<局>,…` directly above their entry,
  matched by name against the organisation master (課・局 in force today);
- the role is a group: members of LDAP_AUDITOR_GROUP are 監査事務局, members of
  LDAP_SECTION_HEAD_GROUP are 所管課長, everyone else with a section is 所管課担当.
Each login copies that onto the account, so a transfer in the directory moves the account (and the
change history says so). The admin role is never given by the directory: administrators and the
fallback accounts are local accounts, and a directory entry can never sign in as a local account.
"""

import logging
from contextlib import contextmanager

import ldap3
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_python3_ldap.auth import LDAPBackend
from django_python3_ldap.utils import format_username_active_directory_principal
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import parse_dn

from .changelog import record
from .choices import Role
from .models import Bureau, Section, User

log = logging.getLogger(__name__)


class NotAssigned(Exception):
    """The directory knows the person but gives them no section and no auditreg role."""


def enabled() -> bool:
    return bool(settings.LDAP_AUTH_URL)


def _username_attribute() -> str:
    return settings.LDAP_AUTH_USER_FIELDS["username"]


@contextmanager
def service_connection():
    """A connection bound as the service account (read-only searches: DNs, groups, the people list)."""
    servers = ldap3.ServerPool(
        [
            ldap3.Server(
                url,
                connect_timeout=settings.LDAP_AUTH_CONNECT_TIMEOUT,
                tls=getattr(settings, "LDAP_AUTH_CONNECT_ARGS", {}).get("tls"),  # verified (settings)
            )
            for url in settings.LDAP_AUTH_URL
        ],
        ldap3.FIRST,
        active=1,
        exhaust=5,
    )
    conn = ldap3.Connection(
        servers,
        user=settings.LDAP_AUTH_CONNECTION_USERNAME,
        password=settings.LDAP_AUTH_CONNECTION_PASSWORD,
        receive_timeout=settings.LDAP_AUTH_RECEIVE_TIMEOUT,
        raise_exceptions=True,
    )
    try:
        if settings.LDAP_AUTH_USE_TLS:
            conn.open()
            conn.start_tls()
        conn.bind()
        yield conn
    finally:
        conn.unbind()


def _person_filter(username: str | None = None) -> str:
    who = f"({_username_attribute()}={escape_filter_chars(username)})" if username is not None else ""
    return f"(&(objectClass={escape_filter_chars(settings.LDAP_AUTH_OBJECT_CLASS)}){who})"


def find_dn(conn, username: str) -> str | None:
    conn.search(settings.LDAP_AUTH_SEARCH_BASE, _person_filter(username), attributes=[], size_limit=2)
    entries = [e for e in conn.response if e.get("type") == "searchResEntry"]
    return entries[0]["dn"] if len(entries) == 1 else None


def group_dns(conn, dn: str) -> set[str]:
    base = settings.AUDITREG_LDAP_GROUP_BASE or settings.LDAP_AUTH_SEARCH_BASE
    conn.search(base, f"(member={escape_filter_chars(dn)})", attributes=[])
    return {_norm(e["dn"]) for e in conn.response if e.get("type") == "searchResEntry"}


def _norm(dn: str) -> str:
    return ",".join(f"{attr.lower()}={value}" for attr, value, _ in parse_dn(dn, escape=False)).lower()


def section_for(dn: str) -> Section | None:
    """The 課 and 局 named by the two OUs directly above the entry, if the master has them in force."""
    ous = [value for attr, value, _ in parse_dn(dn, escape=False)[1:3] if attr.lower() == "ou"]
    if len(ous) < 2:
        return None
    today = timezone.localdate()
    return (
        Section.objects.current_on(today)
        .filter(name=ous[0], bureau__name=ous[1], bureau__in=Bureau.objects.current_on(today))
        .select_related("bureau")
        .first()
    )


def assignment(conn, dn: str) -> tuple[str, Section | None]:
    """(role, section) the directory gives the person at `dn`; NotAssigned if none."""
    groups = group_dns(conn, dn)
    section = section_for(dn)
    auditor_group = _norm(settings.AUDITREG_LDAP_AUDITOR_GROUP) if settings.AUDITREG_LDAP_AUDITOR_GROUP else None
    head_group = _norm(settings.AUDITREG_LDAP_SECTION_HEAD_GROUP) if settings.AUDITREG_LDAP_SECTION_HEAD_GROUP else None
    if auditor_group and auditor_group in groups:
        return Role.AUDITOR, section
    if section is None:
        raise NotAssigned(dn)
    return (Role.SECTION_HEAD if head_group and head_group in groups else Role.SECTION_STAFF), section


# -- hooks named in the settings (LDAP_AUTH_FORMAT_USERNAME, LDAP_AUTH_CLEAN_USER_DATA) ---------------


def format_username(model_fields: dict) -> str:
    """What to bind as. Active Directory: user@domain. OpenLDAP: the person's DN, found by a service
    search (people live in nested OUs, so the DN cannot be built from the name). The service account
    (LDAP_BIND_DN, a DN or user@domain) is used as it is; nothing a person types is."""
    username = model_fields["username"]
    if username == settings.LDAP_AUTH_CONNECTION_USERNAME:
        return username
    if settings.LDAP_AUTH_ACTIVE_DIRECTORY_DOMAIN:
        return format_username_active_directory_principal(model_fields)
    with service_connection() as conn:
        # an unknown name binds as a DN that does not exist, and so fails like a wrong password
        return find_dn(conn, username) or f"{_username_attribute()}={escape_filter_chars(username)},invalid"


def clean_user_data(user_fields: dict) -> dict:
    """The directory's role, section and DN, added to the name fields before the account is saved."""
    with service_connection() as conn:
        dn = find_dn(conn, user_fields["username"])
        if dn is None:
            raise NotAssigned(user_fields["username"])
        role, section = assignment(conn, dn)
    return {**user_fields, "role": role, "section": section, "directory_dn": dn}


# -- the backend -----------------------------------------------------------------------------------------

SYNCED_FIELDS = ("role", "section_id", "directory_dn", "last_name", "first_name", "email")


class DirectoryBackend(LDAPBackend):
    """django-python3-ldap's backend, with three rules of ours: local accounts are never taken over;
    a person the directory gives no place gets no session; changes of role or section are recorded."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or not password:
            return None
        existing = User.objects.filter(username__iexact=username).first()
        if existing is not None and not existing.directory_dn:
            return None  # a local account (the admin, a fallback): only its own password, ModelBackend
        before = {f: getattr(existing, f) for f in SYNCED_FIELDS} if existing else None
        try:
            with transaction.atomic():
                user = super().authenticate(request, username=username, password=password)
                if user is not None and before is not None:
                    changes = {f: [before[f], getattr(user, f)] for f in SYNCED_FIELDS if before[f] != getattr(user, f)}
                    if changes:
                        record(actor=None, action="user.directory_synced", obj=user, changes=_plain(changes))
        except NotAssigned:
            log.warning("directory login refused: no section or role in the directory for %s", username)
            return None
        except ldap3.core.exceptions.LDAPException as exc:
            log.warning("directory unreachable (%s): only local accounts can sign in", exc)
            return None
        if user is None or not user.is_active:
            return None
        return user


def _plain(changes: dict) -> dict:
    def name(field, value):
        if field == "section_id" and value is not None:
            return str(Section.objects.select_related("bureau").get(pk=value))
        return value

    return {("section" if f == "section_id" else f): [name(f, a), name(f, b)] for f, (a, b) in changes.items()}


# -- account review --------------------------------------------------------------------------------------


def directory_usernames() -> set[str]:
    """Every person the directory has now (lower case; AD and OpenLDAP compare names case-blind)."""
    attribute = _username_attribute()
    with service_connection() as conn:
        entries = conn.extend.standard.paged_search(
            settings.LDAP_AUTH_SEARCH_BASE, _person_filter(), attributes=[attribute], paged_size=500, generator=True
        )
        names = set()
        for entry in entries:
            if entry.get("type") != "searchResEntry":
                continue
            value = entry["attributes"].get(attribute)
            if isinstance(value, list):
                value = value[0] if value else None
            if value:
                names.add(str(value).lower())
        return names


def missing_accounts() -> list[User]:
    """Active directory accounts whose person the directory no longer has (left, or removed)."""
    present = directory_usernames()
    accounts = User.objects.filter(is_active=True).exclude(directory_dn="").select_related("section__bureau")
    return [u for u in accounts.order_by("username") if u.username.lower() not in present]


def sync_all() -> int:
    """Copy role and section from the directory onto every active directory account (transfers without
    waiting for the next login). Returns the number of accounts changed."""
    changed = 0
    with service_connection() as conn:
        for user in User.objects.filter(is_active=True).exclude(directory_dn=""):
            dn = find_dn(conn, user.username)
            if dn is None:
                continue  # gone: listed by missing_accounts, deactivated by the review
            try:
                role, section = assignment(conn, dn)
            except NotAssigned:
                continue
            before = {f: getattr(user, f) for f in SYNCED_FIELDS}
            user.role, user.section, user.directory_dn = role, section, dn
            changes = {f: [before[f], getattr(user, f)] for f in SYNCED_FIELDS if before[f] != getattr(user, f)}
            if changes:
                with transaction.atomic():
                    user.save(update_fields=["role", "section", "directory_dn"])
                    record(actor=None, action="user.directory_synced", obj=user, changes=_plain(changes))
                changed += 1
    return changed
