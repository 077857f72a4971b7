"""The access policy's own rules: one table keyed by Role, owned by each app, and a base package that
imports no feature app (auditreg.access)."""

import ast
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.test import RequestFactory

from auditreg import access
from auditreg.access import RULES, allowed
from auditreg.choices import SECTION_APPROVER, DeputyTitle, Role
from auditreg.context_processors import can
from auditreg.models import User
from findings.choices import TRANSITIONS, Action

ROOT = Path(__file__).resolve().parents[2]
FEATURE_APPS = {"findings", "systems", "budgets", "imports", "jobs"}


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at module level or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("name", ["access.py", "context_processors.py", "choices.py", "models.py", "apps.py"])
def test_the_base_packages_policy_imports_no_feature_app(name):
    imported = {m.split(".")[0] for m in imported_modules(ROOT / "auditreg" / name)}
    assert not imported & FEATURE_APPS


def test_each_feature_app_owns_its_rules():
    """The actions are registered by the apps that define them, from their access.py."""
    for app, actions in {
        "findings": {*Action, "add_evidence", "assign", "publish"},
        "imports": {"import_data", "create_inquiry", "close_inquiry"},
        "jobs": {"export"},
    }.items():
        source = (ROOT / app / "access.py").read_text(encoding="utf-8")
        assert "access.register(" in source
        assert actions <= set(RULES)


def test_every_rule_names_roles_of_the_enum():
    known = set(Role) | {SECTION_APPROVER}
    for action, entry in RULES.items():
        assert entry.roles, action
        assert entry.roles <= known, action
    for action, (_, _, roles) in TRANSITIONS.items():
        assert all(isinstance(r, Role) or r == SECTION_APPROVER for r in roles), action
        assert RULES[action].roles == frozenset(roles)  # the workflow's rules are TRANSITIONS


def test_an_action_is_registered_once():
    with pytest.raises(ImproperlyConfigured):
        access.register({"view_all": access.rule(Role.ADMIN)})


def person(role, *, section_id=None, deputy_title="", is_active=True) -> User:
    return User(pk=1, username="p", role=role, section_id=section_id, deputy_title=deputy_title, is_active=is_active)


def test_a_deputy_approves_like_a_head_and_a_plain_staff_does_not():
    head = person(Role.SECTION_HEAD, section_id=7)
    deputy = person(Role.SECTION_STAFF, section_id=7, deputy_title=DeputyTitle.HOSA)
    staff = person(Role.SECTION_STAFF, section_id=7)
    for action in (Action.SUBMIT, Action.SECTION_RETURN):
        assert allowed(head, action) and allowed(deputy, action)
        assert not allowed(staff, action)
    assert allowed(staff, Action.SAVE_DRAFT) and allowed(deputy, Action.SAVE_DRAFT)


def test_a_refusal_says_why_and_raises_permission_denied():
    verdict = allowed(person(Role.SECTION_HEAD, section_id=7), "assign")
    assert not verdict
    assert verdict.message == "割当は監査事務局が行います。"
    with pytest.raises(PermissionDenied, match="割当は監査事務局"):
        verdict.check()
    allowed(person(Role.AUDITOR), "assign").check()  # allowed: no exception


def test_an_inactive_or_anonymous_user_may_do_nothing():
    from django.contrib.auth.models import AnonymousUser

    for user in (person(Role.ADMIN, is_active=False), AnonymousUser(), None):
        assert not any(allowed(user, action) for action in RULES)


def test_the_templates_flags_come_from_the_same_table():
    request = RequestFactory().get("/")
    request.user = person(Role.COMMISSIONER)
    flags = can(request)["can"]
    assert flags["view_all"] and flags["export"]
    assert not flags["publish"] and not flags["import_data"] and not flags["own_section"]
    with pytest.raises(KeyError):
        flags["no_such_action"]  # shown as empty by the template language
