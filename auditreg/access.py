"""The one place that decides what a user may see and change. Views obtain objects only through
these functions, so scoping cannot be forgotten in a view or a template.

- Every signed-in account reads the report (findings, systems, budget).
- Measures: the audit office (and admins) see all; section staff and heads see and act on their own
  section's measures only. Another section's measure is simply not in their querysets (404).
"""

from django.db.models import Q

from auditreg.choices import Role
from auditreg.models import User
from budgets.models import DxProject
from findings.choices import SECTION_APPROVER
from findings.models import EvidenceFile, Finding, Measure, MeasureReport
from systems.models import InformationSystem

SECTION_ROLES = (Role.SECTION_STAFF, Role.SECTION_HEAD)
OFFICE_ROLES = (Role.AUDITOR, Role.ADMIN)


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def is_office(user) -> bool:
    return _active(user) and user.role in OFFICE_ROLES


def is_auditor(user) -> bool:
    return _active(user) and user.role == Role.AUDITOR


def is_section_user(user) -> bool:
    return _active(user) and user.role in SECTION_ROLES and user.section_id is not None


def is_section_approver(user) -> bool:
    """A 課長, or a 担当 the section named as deputy approver (課長補佐・代理)."""
    return is_section_user(user) and (user.role == Role.SECTION_HEAD or bool(user.deputy_title))


def roles_of(user) -> set[str]:
    """The user's role plus the section-approver role of 課長 and deputies (findings.choices.TRANSITIONS)."""
    return {user.role, SECTION_APPROVER} if is_section_approver(user) else {user.role}


def section_approvers(section_id):
    """The active people who may approve the section's drafts."""
    return (
        User.objects.filter(section_id=section_id, is_active=True)
        .filter(Q(role=Role.SECTION_HEAD) | (Q(role=Role.SECTION_STAFF) & ~Q(deputy_title="")))
        .order_by("role", "last_name", "first_name", "pk")
    )


def visible_findings(user):
    return Finding.objects.all() if _active(user) else Finding.objects.none()


def visible_systems(user):
    qs = InformationSystem.objects.all()
    return qs if _active(user) else qs.none()


def visible_projects(user):
    qs = DxProject.objects.all()
    return qs if _active(user) else qs.none()


def visible_measures(user):
    if is_office(user):
        return Measure.objects.all()
    if is_section_user(user):
        return Measure.objects.filter(section_id=user.section_id)
    return Measure.objects.none()


def editable_measures(user):
    """Measures whose reports the user may draft (their own section's)."""
    if is_section_user(user):
        return Measure.objects.filter(section_id=user.section_id)
    return Measure.objects.none()


def visible_reports(user):
    return MeasureReport.objects.filter(measure__in=visible_measures(user))


def visible_evidence(user):
    return EvidenceFile.objects.filter(measure__in=visible_measures(user))


def visible_batches(user):
    """Uploads: the office sees every import; a section sees the inquiry answers uploaded for it."""
    from imports.models import ImportBatch  # the imports app builds on findings; imported late

    if is_office(user):
        return ImportBatch.objects.all()
    if is_section_user(user):
        return ImportBatch.objects.filter(section_id=user.section_id)
    return ImportBatch.objects.none()
