import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from auditreg.choices import Role
from auditreg.models import ChangeLog, Section, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts(make_user):
    now = timezone.now()
    admin = make_user("adm", Role.ADMIN, last_name="管理")
    admin.last_login = now
    admin.save()
    fresh = make_user("fresh", Role.AUDITOR, last_name="新人")  # never logged in
    stale = make_user("stale", Role.AUDITOR, last_name="退職")
    stale.last_login = now - datetime.timedelta(days=200)
    stale.save()
    closed = Section.objects.get(bureau__name="都市政策局", name="広報広聴課")
    closed.valid_to = timezone.localdate() - datetime.timedelta(days=1)
    closed.save()
    moved = make_user("moved", Role.SECTION_STAFF, closed, last_name="異動")
    moved.last_login = now
    moved.save()
    return admin, fresh, stale, moved


def test_review_page_lists_each_kind(client, accounts):
    admin, fresh, stale, moved = accounts
    client.force_login(admin)
    ctx = client.get(reverse("account_review") + "?days=90").context
    assert fresh in ctx["never_used"] and stale in ctx["unused"] and moved in ctx["orphaned"]
    assert {admin, fresh, stale} <= set(ctx["privileged"]) and moved not in ctx["privileged"]


def test_deactivation_in_one_step_is_logged(client, accounts):
    admin, fresh, stale, moved = accounts
    client.force_login(admin)
    response = client.post(reverse("account_review"), {"user": [fresh.pk, stale.pk, admin.pk]})
    assert response.status_code == 302
    assert not User.objects.get(pk=fresh.pk).is_active and not User.objects.get(pk=stale.pk).is_active
    assert User.objects.get(pk=admin.pk).is_active  # not oneself
    logs = ChangeLog.objects.filter(action="user.deactivated", actor=admin)
    assert set(logs.values_list("object_id", flat=True)) == {fresh.pk, stale.pk}


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.SECTION_HEAD])
def test_only_admins_review_accounts(client, make_user, role):
    client.force_login(make_user("x", role))
    assert client.get(reverse("account_review")).status_code == 403
    assert client.post(reverse("account_review"), {"user": [1]}).status_code == 403


def test_command(accounts, capsys):
    call_command("review_accounts", "--days", "90", "--deactivate-unused")
    out = capsys.readouterr().out
    assert "fresh" in out and "stale" in out and "2 件を無効にしました" in out
    assert ChangeLog.objects.filter(action="user.deactivated", actor__isnull=True).count() == 2
