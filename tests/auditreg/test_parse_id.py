"""The one rule for ids typed or sent by users (auditreg.validators.parse_id)."""

import pytest
from django.urls import reverse

from auditreg.choices import Role
from auditreg.validators import parse_id


@pytest.mark.parametrize(
    "value, expected",
    [
        ("1", 1),
        (" 42 ", None),  # spaces: not an id (a cell's reader strips them first)
        ("0", 0),
        ("9" * 18, int("9" * 18)),
        (7, 7),
        ("9" * 19, None),  # beyond a 64-bit key: a driver error if it reached the database
        ("１２", None),  # full-width digits
        ("²", None),  # str.isdigit() is true for superscripts, and int() refuses them
        ("-1", None),
        ("1.0", None),
        ("", None),
        (None, None),
        (True, None),
        (-1, None),
        (2**63, None),
        (["1"], None),
    ],
)
def test_parse_id(value, expected):
    assert parse_id(value) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["²", "１", "9" * 30])
def test_pages_that_read_an_id_refuse_odd_digits_without_an_error(client, make_user, value):
    """'²'.isdigit() is true and int('²') raises: a page that tested isdigit() answered 500."""
    client.force_login(make_user("id-office", Role.AUDITOR))
    for name in ("systems:system_list", "findings:bulk_select", "findings:finding_list"):
        for param in ("report", "section"):
            assert client.get(reverse(name), {param: value}).status_code in (200, 302, 404), (name, param)
