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


def record(*, actor, action: str, obj, changes: dict | None = None, finding_id=None, comment: str = "") -> ChangeLog:
    return ChangeLog.objects.create(
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
