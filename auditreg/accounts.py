"""Account review (the report's 指摘01–03 are about stale, shared and misattributed IDs):
accounts never used or unused for N days, accounts whose section no longer exists, and every
account with admin or audit-office rights with the person it belongs to; with directory login, also
the directory accounts whose person the directory no longer has."""

import datetime
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import directory
from .access import READ_ALL_ROLES, allowed
from .changelog import record
from .choices import DeputyTitle, Role
from .models import User

log = logging.getLogger(__name__)


def _directory_missing() -> tuple[list | None, str]:
    """(accounts gone from the directory, error text); (None, "") when directory login is off."""
    if not directory.enabled():
        return None, ""
    try:
        return directory.missing_accounts(), ""
    except Exception as exc:  # the review must still show the local findings when the directory is down
        log.warning("account review: directory unreachable: %s", exc)
        return None, "ディレクトリに接続できなかったため、ディレクトリにないアカウントは確認できませんでした。"


def review(*, days: int, today: datetime.date | None = None) -> dict:
    today = today or timezone.localdate()
    since = timezone.now() - datetime.timedelta(days=days)
    missing, error = _directory_missing()
    active = User.objects.filter(is_active=True).select_related("section__bureau").order_by("username")
    return {
        "never_used": list(active.filter(last_login__isnull=True)),
        "unused": list(active.filter(last_login__lt=since)),
        # a section, or a 局の代決者's 局, that no longer exists
        "orphaned": list(
            active.filter(
                Q(section__isnull=False, section__valid_to__lte=today)
                | Q(bureau__isnull=False, bureau__valid_to__lte=today)
            )
        ),
        "privileged": list(active.filter(Q(role__in=READ_ALL_ROLES) | Q(is_superuser=True) | Q(is_staff=True))),
        "directory_missing": missing,
        "directory_error": error,
        "days": days,
    }


@transaction.atomic
def deactivate(*, users, by=None) -> int:
    """One step: deactivate (never delete: the history keeps pointing at the person).
    `by` is None when run from the command line (recorded as the system)."""
    count = 0
    for user in users:
        if (by is not None and user.pk == by.pk) or not user.is_active:
            continue
        user.is_active = False
        user.save(update_fields=["is_active"])
        record(actor=by, action="user.deactivated", obj=user, changes={"is_active": [True, False]})
        count += 1
    return count


@transaction.atomic
def deputy_set(*, user: User, title: str, by) -> User:
    """A 課長 names (or un-names) a 担当 of their own section as deputy approver (課長補佐・代理)."""

    target = User.objects.select_for_update().get(pk=user.pk)
    allowed(by, "name_deputies").check()
    if target.section_id != by.section_id or target.role != Role.SECTION_STAFF or not target.is_active:
        raise PermissionDenied("自課の担当のみ指名できます。")
    if title not in DeputyTitle.values:
        raise ValidationError({"title": "承認の代理の種類を選んでください。"})
    if target.deputy_title != title:
        record(
            actor=by, action="user.deputy_changed", obj=target, changes={"deputy_title": [target.deputy_title, title]}
        )
        target.deputy_title = title
        target.save(update_fields=["deputy_title"])
    return target
