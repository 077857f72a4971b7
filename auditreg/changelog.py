"""Writing the change log. Services call `record` inside their transaction."""

import datetime

from django.utils import timezone

from .models import ChangeLog


def _plain(value):
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if hasattr(value, "pk"):
        return str(value)
    return str(value)


def diff(before: dict, after: dict) -> dict:
    """{field: [old, new]} for the fields whose value changed (values made JSON-safe)."""
    return {k: [_plain(before.get(k)), _plain(after.get(k))] for k in after if before.get(k) != after.get(k)}


def entry(*, actor, action: str, obj, changes: dict | None = None, finding_id=None, comment: str = "") -> ChangeLog:
    """The change log entry `record` writes, unsaved (for `record_many`)."""
    return ChangeLog(
        at=timezone.now(),
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=obj.pk,
        object_repr=str(obj)[:300],
        finding_id=finding_id,
        changes=changes or {},
        comment=comment,
    )


def record(*, actor, action: str, obj, changes: dict | None = None, finding_id=None, comment: str = "") -> ChangeLog:
    log = entry(actor=actor, action=action, obj=obj, changes=changes, finding_id=finding_id, comment=comment)
    log.save()
    return log


def record_many(entries) -> list[ChangeLog]:
    """Write many entries (from `entry`) in one query, in their order."""
    return ChangeLog.objects.bulk_create(list(entries), batch_size=1000)
