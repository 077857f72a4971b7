"""The bugs the form fuzz tests (test_fuzz_forms*.py) found: each is the shrunk (or hand-minimised)
example of one bug, now fixed, pinned as a regression test; the assertions are the property's
expectation (never a server error; bad dates and ids are refused or shown, not stored wrongly).
"""

import pytest
from django.db import connection
from django.urls import reverse

from auditreg.models import User
from findings.models import MeasureStatus

pytestmark = pytest.mark.django_db

# -- bugs found by the properties: minimal failing examples ------------------------------------
# Each is the shrunk (or hand-minimised) example of one bug the properties found; the assertions
# are the property's expectation.

ON_SQLITE = connection.vendor == "sqlite"
BEYOND_64_BITS = str(2**63)


def login(client, user):
    client.force_login(user)
    return client


def test_status_report_as_of_the_last_day_is_refused(client, world):
    response = login(client, world["people"]["auditor"]).get(reverse("findings:status_report"), {"as_of": "9999-12-31"})
    assert response.status_code == 400


def test_status_report_as_of_before_showa_is_refused(client, world):
    response = login(client, world["people"]["auditor"]).get(reverse("findings:status_report"), {"as_of": "1926-12-24"})
    assert response.status_code == 400


@pytest.mark.parametrize("field", ["reported_on", "planned_completion_on"])
def test_dates_before_showa_in_a_draft_are_refused_or_shown(client, world, field):
    measure = world["measures"]["new"]
    in_progress = MeasureStatus.objects.get(code="in_progress")
    form = {"status": in_progress.pk, "reported_on": "2025-06-01", "text": "措置の内容。"} | {field: "1926-12-24"}
    c = login(client, world["people"]["staff"])
    response = c.post(reverse("findings:measure_save", args=[measure.pk]), form)
    assert response.status_code in (302, 400)
    assert c.get(reverse("findings:measure_detail", args=[measure.pk])).status_code == 200


def test_reply_by_before_showa_is_refused_or_shown(client, world):
    finding = world["findings"]["意見01"]
    c = login(client, world["people"]["auditor"])
    response = c.post(
        reverse("findings:finding_assign", args=[finding.pk]),
        {"sections": [world["section"].pk], "reply_by": "1926-12-24"},
    )
    assert response.status_code in (200, 302)
    assert c.get(reverse("findings:finding_detail", args=[finding.pk])).status_code == 200


@pytest.mark.parametrize("value", ["²", "9" * 5000], ids=["superscript two", "5000 digits"])
def test_account_review_post_with_odd_digit_ids(client, world, value):
    response = login(client, world["people"]["admin"]).post(reverse("account_review"), {"user": [value]})
    assert response.status_code == 302
    assert User.objects.filter(is_active=False).count() == 0


@pytest.mark.parametrize("page", ["status report", "assign", "account review"])
def test_primary_key_beyond_64_bits_is_refused(client, world, page):
    people = world["people"]
    if page == "status report":
        response = login(client, people["auditor"]).get(reverse("findings:status_report"), {"reports": BEYOND_64_BITS})
        assert response.status_code == 400
    elif page == "assign":
        url = reverse("findings:finding_assign", args=[world["findings"]["意見01"].pk])
        response = login(client, people["auditor"]).post(url, {"sections": [BEYOND_64_BITS]})
        assert response.status_code == 200 and response.context["form"].errors
    else:
        response = login(client, people["admin"]).post(reverse("account_review"), {"user": [BEYOND_64_BITS]})
        assert response.status_code == 302
