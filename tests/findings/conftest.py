"""Fixtures shared by several test modules of tests/findings (each block says which)."""

import pytest

from auditreg.choices import Role
from auditreg.models import Section
from findings import services
from findings.models import Finding, Measure
from findings.services import finding_assign

from .permissions_matrix import World
from .report_data_helpers import REPORT_TEXT
from .services_helpers import REPLY_BY, People  # the same date as permissions_matrix.REPLY_BY

# -- fixtures of test_permission_matrix.py, test_permission_requests.py --


@pytest.fixture
def world(make_user, report):
    section = Section.objects.get(bureau__name="都市政策局", name="広報広聴課")
    other_section = Section.objects.get(bureau__name="都市政策局", name="交通政策課")
    users = {
        "admin": make_user("admin", Role.ADMIN, last_name="管理"),
        "auditor": make_user("auditor", Role.AUDITOR, last_name="監査"),
        "staff": make_user("staff", Role.SECTION_STAFF, section, last_name="担当"),
        "head": make_user("head", Role.SECTION_HEAD, section, last_name="課長"),
        "other_staff": make_user("other_staff", Role.SECTION_STAFF, other_section, last_name="他課担当"),
        "other_head": make_user("other_head", Role.SECTION_HEAD, other_section, last_name="他課長"),
        "inactive_auditor": make_user("inactive_auditor", Role.AUDITOR, last_name="退職"),
        "inactive_head": make_user("inactive_head", Role.SECTION_HEAD, section, last_name="異動"),
    }
    finding = Finding.objects.get(report=report, code="指摘01")
    services.finding_assign(finding=finding, sections=[section, other_section], reply_by=REPLY_BY, by=users["auditor"])
    return World(
        section=section,
        other_section=other_section,
        finding=finding,
        measure=Measure.objects.get(finding=finding, section=section),
        other_measure=Measure.objects.get(finding=finding, section=other_section),
        users=users,
    )


# -- fixtures of test_services_workflow.py, test_services_checks.py --


@pytest.fixture
def section(db):
    return Section.objects.get(bureau__name="都市政策局", name="広報広聴課")


@pytest.fixture
def other_section(db):
    return Section.objects.get(bureau__name="都市政策局", name="交通政策課")


@pytest.fixture
def people(make_user, section, other_section):
    return People(
        auditor=make_user("auditor", Role.AUDITOR, last_name="監査"),
        admin=make_user("admin", Role.ADMIN, last_name="管理"),
        staff1=make_user("staff1", Role.SECTION_STAFF, section, last_name="担当一"),
        staff2=make_user("staff2", Role.SECTION_STAFF, section, last_name="担当二"),
        head1=make_user("head1", Role.SECTION_HEAD, section, last_name="課長一"),
        head2=make_user("head2", Role.SECTION_HEAD, section, last_name="課長二"),
        outsider=make_user("outsider", Role.SECTION_STAFF, other_section, last_name="他課"),
        outsider_head=make_user("outsider_head", Role.SECTION_HEAD, other_section, last_name="他課長"),
    )


@pytest.fixture
def finding(report):
    return Finding.objects.get(report=report, code="指摘01")


@pytest.fixture
def opinion(report):
    return Finding.objects.get(report=report, code="意見01")


@pytest.fixture
def measure(finding, section, people):
    (measure,) = finding_assign(finding=finding, sections=[section], reply_by=REPLY_BY, by=people.auditor)
    return measure


# -- fixtures of test_report_findings.py, test_report_texts.py --


@pytest.fixture(scope="module")
def report_text():
    if not REPORT_TEXT.exists():
        pytest.skip(f"report text not available at {REPORT_TEXT}")
    return REPORT_TEXT.read_text(encoding="utf-8")
