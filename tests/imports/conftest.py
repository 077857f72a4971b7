"""Fixtures shared by several test modules of tests/imports (each block says which)."""

import pytest
from django.conf import settings

from findings.bundle.reader import read_bundle
from imports.workbook import template_bytes
from tests.imports.test_inquiry_common import build_world

from .workbook_helpers import REPORT

# -- fixtures of test_inquiry_upload.py, test_inquiry_upload_refusals.py --


@pytest.fixture
def w(make_user, report):
    return build_world(make_user, report)


# -- fixtures of test_workbook.py, test_workbook_sheets.py --


@pytest.fixture(scope="module")
def full(django_db_setup, django_db_blocker):
    """The template of the imported report (the database is the same in every test: each one is rolled back)."""
    from findings.models import AuditReport

    with django_db_blocker.unblock():
        return template_bytes(AuditReport.objects.get(code=REPORT))


@pytest.fixture(scope="module")
def folder():
    return read_bundle(settings.REPORT_FIXTURE_DIR)
