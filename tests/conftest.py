"""Shared fixtures. The real report bundle is imported once per test session; every test runs
in a transaction that is rolled back, so each one sees exactly the imported report."""

from pathlib import Path

import pytest
from django.conf import settings

from auditreg.choices import Role
from findings.bundle.importer import import_report_bundle

REPORT_TEXT = Path(settings.BASE_DIR).parent / "shared" / "report" / "kanazawa-gazette-3177-2.txt"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        import_report_bundle(settings.REPORT_FIXTURE_DIR)


@pytest.fixture
def report(db):
    from findings.models import AuditReport

    return AuditReport.objects.get(code="kanazawa-2024-dx")


@pytest.fixture
def make_user(db):
    from auditreg.models import Section, User

    def make(username="auditor1", role=Role.AUDITOR, section=None, **extra):
        if role in (Role.SECTION_STAFF, Role.SECTION_HEAD) and section is None:
            section = Section.objects.order_by("pk").first()
        return User.objects.create_user(
            username=username,
            password="correct-horse-battery-staple",
            role=role,
            section=section,
            last_name=extra.pop("last_name", "監査"),
            first_name=extra.pop("first_name", "太郎"),
            **extra,
        )

    return make


@pytest.fixture
def auditor_client(client, make_user):
    client.force_login(make_user())
    return client


@pytest.fixture(autouse=True)
def _fresh_city_settings():
    """Each test reads the city's settings afresh (they are cached per process, see CitySettings.current)."""
    from auditreg import memo
    from auditreg.models import CitySettings
    from findings.filtersets import forget_codes

    CitySettings.forget()
    forget_codes()
    memo.forget()
    yield
    CitySettings.forget()
    forget_codes()
    memo.forget()


@pytest.fixture
def world(make_user, report):
    """The world every example of the form fuzz tests (tests/test_fuzz_forms*.py) starts from."""
    from tests.fuzz_forms_helpers import build_world

    return build_world(make_user, report)
