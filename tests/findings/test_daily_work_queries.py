"""Query counts of the pages issue 13 changed, at two data sizes (the second adds a report of 200
findings, 60 of them assigned and reported in every state): the count must not grow."""

import pytest
from django.urls import reverse

from findings.models import Finding, Measure
from systems.models import InformationSystem

from . import test_perf_pages as perf

pytestmark = pytest.mark.django_db
people = perf.people
MEASURED = {}


def _two_sizes(client, people, url, user):
    small, large, response = perf.two_sizes(client, people, url, user=user)
    MEASURED[url, user] = (small, large)
    print(f"queries {user} {url}: {small} -> {large}")
    return small, large, response


# a section user: 3 more than the office (their measures among the rows, the status labels, the last
# publications), and 1 for their section in the header
@pytest.mark.parametrize(("user", "bound"), [("staff", 14), ("auditor", 10)])
def test_finding_list_with_scoped_statuses(client, people, report, user, bound):
    perf.assign_and_report(list(Finding.objects.filter(report=report).order_by("order")[:10]), people)
    small, large, response = _two_sizes(client, people, reverse("findings:finding_list"), user)
    assert len(response.context["page"].object_list) > 0
    # newest report first (issue 14): at the larger size the first page holds only the section's own
    # findings (the synthetic report's first 60), so the last publications are not read (2 fewer)
    assert large <= small <= bound
    if user == "auditor":
        assert small == large


def test_finding_detail_for_a_section_user(client, people, report):
    finding = Finding.objects.get(report=report, code="指摘01")
    perf.assign_and_report([finding], people, every_state=False)
    small, large, _ = _two_sizes(client, people, reverse("findings:finding_detail", args=[finding.pk]), "staff")
    assert small == large <= 14


def test_measure_page_of_a_head_with_the_approval_checks(client, people, report):
    finding = Finding.objects.get(report=report, code="指摘01")
    perf.assign_and_report([finding], people, every_state=False)
    measure = Measure.objects.get(finding=finding)
    small, large, _ = _two_sizes(client, people, reverse("findings:measure_detail", args=[measure.pk]), "head")
    assert small == large <= 14


def test_assign_page_with_the_section_picker(client, people, report):
    finding = Finding.objects.get(report=report, code="意見01")
    small, large, response = _two_sizes(
        client, people, reverse("findings:finding_assign", args=[finding.pk]), "auditor"
    )
    assert response.context["n_sections"] > 50
    assert small == large <= 8


def test_system_detail_for_a_section_user(client, people, report):
    system = InformationSystem.objects.filter(budgets__note__gt="").first()
    small, large, _ = _two_sizes(client, people, reverse("systems:system_detail", args=[system.pk]), "staff")
    assert small == large <= 10
