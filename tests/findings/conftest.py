"""Fixtures shared by several test modules of tests/findings (each block says which)."""

import pytest

from auditreg.choices import Role
from auditreg.models import Section
from findings import services
from findings.models import Finding, Measure

from .permissions_matrix import REPLY_BY, World

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
