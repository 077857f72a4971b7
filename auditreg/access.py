"""The one place that decides what a user may see. Views obtain objects only through these.

Reading the report (findings, systems, budget) is open to every signed-in account: section
staff see all findings and edit only their own section's measures (that scoping lives here
too once measures exist).
"""

from budgets.models import DxProject
from findings.models import Finding
from systems.models import InformationSystem


def visible_findings(user):
    return Finding.objects.all() if user.is_authenticated and user.is_active else Finding.objects.none()


def visible_systems(user):
    qs = InformationSystem.objects.all()
    return qs if user.is_authenticated and user.is_active else qs.none()


def visible_projects(user):
    qs = DxProject.objects.all()
    return qs if user.is_authenticated and user.is_active else qs.none()
