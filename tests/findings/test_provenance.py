"""Extraction and repair notes (出典と修復) are for the audit office and admins; city sections never see them."""

import pytest
from django.urls import reverse

from auditreg.choices import Role
from auditreg.models import Section
from findings.models import Finding, TextRepair
from systems.models import SystemBudget

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("role", "shown"), [(Role.AUDITOR, True), (Role.ADMIN, True), (Role.SECTION_STAFF, False)])
def test_repairs_of_a_finding_only_for_the_office(client, report, make_user, role, shown):
    repair = TextRepair.objects.filter(report=report, file="findings.yaml").first()
    finding = Finding.objects.get(report=report, code=repair.record)
    section = Section.objects.first() if role == Role.SECTION_STAFF else None
    client.force_login(make_user("u", role, section, last_name="職員"))
    page = client.get(reverse("findings:finding_detail", args=[finding.pk])).content.decode()
    assert ("出典と修復" in page) is shown
    assert (repair.why in page) is shown


@pytest.mark.parametrize(("role", "shown"), [(Role.AUDITOR, True), (Role.SECTION_HEAD, False)])
def test_extraction_notes_of_a_system_only_for_the_office(client, report, make_user, role, shown):
    budget = SystemBudget.objects.exclude(note="").select_related("system").first()
    section = Section.objects.first() if role == Role.SECTION_HEAD else None
    client.force_login(make_user("u", role, section, last_name="職員"))
    page = client.get(reverse("systems:system_detail", args=[budget.system.pk])).content.decode()
    assert (budget.note in page) is shown
    assert "NOTES.md" not in page or shown
