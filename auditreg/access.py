"""Who may see and do what: one policy, owned by each app.

- The table: every action names the roles (auditreg.choices.Role) that may take it, in a `Rule`. The
  shared actions are below (`RULES`); each feature app adds its own in `<app>/access.py`, which
  `AuditregConfig.ready()` discovers as the admin discovers `admin.py`. This package never imports a
  feature app.
- `allowed(user, action, obj=None)` answers from that table: the role first, then (given an object)
  the app's check of that object (its section, its state, the drafter-is-not-approver rule).
  It returns a `Verdict`, true when allowed; a refused one carries the Japanese message and the error
  to raise (`verdict.check()`). Services call it once, inside their lock; views do not check again.
- Lists: a queryset method per model, `Measure.objects.for_user(user)`. Single objects: a gate per
  object type that fetches and checks, `findings.access.measure_for(user, pk, action=…)`; a gate
  answers 404 alike for an object the user may not see and for one that does not exist.
- Templates get `can.<action>` (the role part of the same table) from the `access` context processor.

Adding a role: add it to `Role`, name it in the rules it takes part in (a read-only role joins
`READ_ALL_ROLES` only), add a migration for the field's choices. See the README, "Access".
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import Q

from auditreg.choices import SECTION_APPROVER, Role
from auditreg.models import User

SECTION_ROLES = (Role.SECTION_STAFF, Role.SECTION_HEAD)
# The audit office's working roles. Writes the office makes name AUDITOR (or these) in their rules.
OFFICE_ROLES = (Role.AUDITOR, Role.ADMIN)
# Who sees every section's measures and the office's pages (dashboard, status report, publications);
# 監査委員 read all of it and change nothing.
READ_ALL_ROLES = frozenset({Role.ADMIN, Role.AUDITOR, Role.COMMISSIONER})


# -- verdicts and rules ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """The answer of `allowed()`: true when allowed; a refusal says why and what to raise."""

    ok: bool
    message: str = ""
    error: type[Exception] = PermissionDenied

    def __bool__(self) -> bool:
        return self.ok

    def check(self) -> None:
        """Raise the refusal (PermissionDenied: 403; an app's own error, e.g. a wrong state: 400)."""
        if not self.ok:
            raise self.error(self.message) if self.message else self.error()


YES = Verdict(True)


def no(message: str = "", error: type[Exception] = PermissionDenied) -> Verdict:
    return Verdict(False, message, error)


@dataclass(frozen=True)
class Rule:
    """Who may take an action: the roles (plus SECTION_APPROVER), the message when the role may not,
    and the check of one object (user, obj) -> Verdict, run only when an object is given."""

    roles: frozenset
    refused: str = ""
    check: Callable | None = None


def rule(*roles, refused: str = "", check: Callable | None = None) -> Rule:
    """A Rule from roles and sets of roles: rule(Role.AUDITOR), rule(READ_ALL_ROLES, check=…)."""
    flat = frozenset(r for group in roles for r in (group if isinstance(group, set | frozenset | tuple) else {group}))
    return Rule(flat, refused, check)


RULES: dict[str, Rule] = {}


def register(rules: dict[str, Rule]) -> None:
    """Add an app's actions to the table (from its access.py, at start-up). Names are unique."""
    clash = RULES.keys() & rules.keys()
    if clash:
        raise ImproperlyConfigured(f"access rules registered twice: {sorted(clash)}")
    RULES.update(rules)
    _actions_by_roles.clear()


# frozenset(roles) -> the actions those roles may take (actions_of), worked out once per set of roles
_actions_by_roles: dict[frozenset, frozenset] = {}


def actions_of(user) -> frozenset[str]:
    """The actions `user` may take where no object is in question: exactly those for which
    allowed(user, action) is true. Without an object the answer depends on the account being active
    and its roles alone, so it is worked out once per set of roles (the menu, on every page)."""
    if not _active(user):
        return frozenset()
    roles = frozenset(roles_of(user))
    actions = _actions_by_roles.get(roles)
    if actions is None:
        actions = _actions_by_roles[roles] = frozenset(a for a, entry in RULES.items() if roles & entry.roles)
    return actions


def allowed(user, action: str, obj=None) -> Verdict:
    """Whether `user` may take `action` (on `obj`, when given: the app's object check as well)."""
    entry = RULES[action]  # an unknown action is a programming error, not a refusal
    if not _active(user) or not roles_of(user) & entry.roles:
        return no(entry.refused)
    if obj is None or entry.check is None:
        return YES
    return entry.check(user, obj)


# -- the people: small helpers on User and Role only -----------------------------------------------


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def sees_all(user) -> bool:
    """Sees every section's measures and the audit office's pages (READ_ALL_ROLES), read-only or not."""
    return bool(allowed(user, "view_all"))


def is_section_user(user) -> bool:
    return _active(user) and user.role in SECTION_ROLES and user.section_id is not None


def is_section_approver(user) -> bool:
    """A 課長, or a 担当 the section named as deputy approver (課長補佐・代理)."""
    return is_section_user(user) and (user.role == Role.SECTION_HEAD or bool(user.deputy_title))


def is_bureau_approver(user) -> bool:
    """A 局の代決者: approves the drafts of every section of their 局 (User.bureau), edits none."""
    return _active(user) and user.role == Role.BUREAU_APPROVER and user.bureau_id is not None


def roles_of(user) -> set[str]:
    """The user's role plus the section-approver role of 課長 and deputies."""
    return {user.role, SECTION_APPROVER} if is_section_approver(user) else {user.role}


def section_approvers(section_id):
    """The active people who may approve the section's drafts."""
    return (
        User.objects.filter(section_id=section_id, is_active=True)
        .filter(Q(role=Role.SECTION_HEAD) | (Q(role=Role.SECTION_STAFF) & ~Q(deputy_title="")))
        .order_by("role", "last_name", "first_name", "pk")
    )


def bureau_approvers(bureau_id):
    """The active 局の代決者 of a 局: who approves when no one in the section may (代決)."""
    return User.objects.filter(bureau_id=bureau_id, role=Role.BUREAU_APPROVER, is_active=True).order_by(
        "last_name", "first_name", "pk"
    )


def scope(queryset, user, *, section: str = "section_id", everyone: bool = False):
    """The usual `for_user` of a model: everything for READ_ALL_ROLES (and for every active user when
    `everyone`), the rows of the user's own section for section users (`section`: the lookup of the
    row's section id), the rows of every section of their 局 for a 局の代決者, nothing for anyone else."""
    if everyone:
        return queryset if _active(user) else queryset.none()
    if sees_all(user):
        return queryset
    if is_section_user(user):
        return queryset.filter(**{section: user.section_id})
    if is_bureau_approver(user):
        # "section_id" -> "section__bureau_id", "responses__section_id" -> "responses__section__bureau_id"
        return queryset.filter(**{f"{section.removesuffix('_id')}__bureau_id": user.bureau_id})
    return queryset.none()


# Shared actions. Feature apps register theirs in <app>/access.py.
register(
    {
        "view_all": rule(READ_ALL_ROLES),
        "own_section": rule(SECTION_ROLES),  # the section's work: 自課の措置, answering inquiries
        "name_deputies": rule(Role.SECTION_HEAD, refused="承認の代理は課長が指名します。"),
        "review_accounts": rule(Role.ADMIN),
    }
)
