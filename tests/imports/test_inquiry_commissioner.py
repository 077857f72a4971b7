"""The read-only 監査委員 on the inquiry pages: reads what the audit office reads (every section's
answer state), creates, closes and uploads nothing."""

import pytest

from auditreg.choices import Role
from imports.models import InquiryRound
from tests.imports.test_inquiry_views import client_for, urls, w  # noqa: F401 - the shared world fixture

pytestmark = pytest.mark.django_db


def test_the_commissioner_reads_every_sections_answers_and_changes_nothing(w, make_user):  # noqa: F811
    commissioner = client_for(make_user("i-commissioner", Role.COMMISSIONER))
    page = urls(w)
    listing = commissioner.get(page["list"])
    assert listing.status_code == 200 and w.round.title in listing.content.decode()
    detail = commissioner.get(page["detail"])
    assert detail.status_code == 200
    assert "課ごとの回答状況" in detail.content.decode()  # the office's view of every section
    rounds = InquiryRound.objects.count()
    assert commissioner.get(page["create"]).status_code == 403
    assert commissioner.post(page["create"], {"title": "x"}).status_code == 403
    assert commissioner.post(page["upload"]).status_code in (403, 404)
    assert InquiryRound.objects.count() == rounds
