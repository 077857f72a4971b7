"""Fixtures shared by several test modules of tests/imports (each block says which)."""

import pytest

from tests.imports.test_inquiry_common import build_world

# -- fixtures of test_inquiry_upload.py, test_inquiry_upload_refusals.py --


@pytest.fixture
def w(make_user, report):
    return build_world(make_user, report)
