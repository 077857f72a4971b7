"""Saved filters of the findings list: reads (who sees which) and writes (services: checked, atomic,
recorded in the change log). A user sees their own filters and, in the audit office, those an office
user shared; only office users may share. One of a user's own filters may be their default list
view, applied when they open the list without a query."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone

from auditreg import access
from auditreg.changelog import record

from . import compiled_sql
from .filtersets import FindingFilterSet
from .models import Finding, SavedFilter

MAX_QUERY_LENGTH = SavedFilter._meta.get_field("query").max_length
MAX_NAME_LENGTH = SavedFilter._meta.get_field("name").max_length
MAX_PER_USER = 50


def visible_saved_filters(user):
    """The user's own filters and, for the audit office, the shared ones (theirs first, by name)."""
    if not user.is_authenticated:
        return SavedFilter.objects.none()
    where = Q(owner=user)
    if access.sees_all(user):
        where |= Q(shared=True)
    return SavedFilter.objects.filter(where).select_related("owner").order_by("name", "pk")


@dataclass(frozen=True, slots=True)
class SavedFilterRow:
    """A saved filter as the list shows it (its owner's name beside it)."""

    pk: int
    owner_id: int
    name: str
    query: str
    is_default: bool
    shared: bool
    owner_last_name: str
    owner_first_name: str


_ROW_COLUMNS = ("pk", "owner_id", "name", "query", "is_default", "shared", "owner__last_name", "owner__first_name")


def saved_filter_rows(user) -> list[SavedFilterRow]:
    """visible_saved_filters as rows, from SQL compiled once per user and scope (findings.compiled_sql):
    the list page reads them on every request."""
    if not user.is_authenticated:
        return []
    rows = compiled_sql.rows(
        ("saved_filters", compiled_sql.user_key(user)),
        lambda _: visible_saved_filters(user).select_related(None).values_list(*_ROW_COLUMNS),
        [],
        slots=0,
    )
    return [
        SavedFilterRow(pk, owner, name, query, bool(d), bool(sh), ln, fn)
        for pk, owner, name, query, d, sh, ln, fn in rows
    ]


def clean_query(*, user, query: str) -> str:
    """The list's query string kept to the filters (page and unknown parameters dropped, empty values
    dropped), each value checked by the list's own form; a clear Japanese message otherwise."""

    if len(query) > MAX_QUERY_LENGTH * 2:
        raise ValidationError("条件が長すぎます。")
    raw = QueryDict(query)
    names = list(FindingFilterSet.base_filters)
    kept = QueryDict(mutable=True)
    for name in names:
        values = [v for v in raw.getlist(name) if v.strip()]
        if values:
            kept.setlist(name, values[:1])
    filterset = FindingFilterSet(kept, queryset=Finding.objects.none(), user=user)
    if not filterset.form.is_valid():
        wrong = "、".join(str(filterset.form.fields[n].label) for n in filterset.form.errors)
        raise ValidationError(f"条件に誤りがあります（{wrong}）。一覧で条件を直してから保存してください。")
    encoded = kept.urlencode()
    if len(encoded) > MAX_QUERY_LENGTH:
        raise ValidationError(f"条件が長すぎます（{MAX_QUERY_LENGTH} 文字まで）。")
    return encoded


def _own(user, pk) -> SavedFilter:
    """A filter the user may change: their own (others' shared filters are read-only to them)."""
    try:
        return SavedFilter.objects.select_for_update().get(pk=pk, owner=user)
    except (SavedFilter.DoesNotExist, ValueError, TypeError):
        raise PermissionDenied("この保存した絞り込みは変更できません。") from None


@transaction.atomic
def saved_filter_save(*, user, name: str, query: str, shared: bool = False, is_default: bool = False) -> SavedFilter:
    """Save the list's current filter under a name; saving again under the same name replaces it."""
    if not user.is_authenticated:
        raise PermissionDenied("ログインしてください。")
    name = (name or "").strip()
    if not name:
        raise ValidationError("名前を入力してください。")
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError(f"名前は {MAX_NAME_LENGTH} 文字までです。")
    if shared and not access.allowed(user, "share_filter"):
        raise PermissionDenied("共有できるのは監査事務局の職員だけです。")
    query = clean_query(user=user, query=query)
    now = timezone.now()
    existing = SavedFilter.objects.select_for_update().filter(owner=user, name=name).first()
    if existing is None and SavedFilter.objects.filter(owner=user).count() >= MAX_PER_USER:
        raise ValidationError(f"保存できる絞り込みは {MAX_PER_USER} 件までです。使わないものを削除してください。")
    if is_default:
        SavedFilter.objects.filter(owner=user, is_default=True).exclude(name=name).update(is_default=False)
    if existing is None:
        saved = SavedFilter(owner=user, name=name, created_at=now)
        before = {}
    else:
        saved = existing
        before = {"query": existing.query, "shared": existing.shared, "is_default": existing.is_default}
    saved.query, saved.shared, saved.is_default, saved.updated_at = query, shared, is_default, now
    saved.full_clean(validate_unique=False)
    saved.save()
    after = {"query": query, "shared": shared, "is_default": is_default}
    record(
        actor=user,
        action="saved_filter.saved",
        obj=saved,
        changes={k: [before.get(k), v] for k, v in after.items() if before.get(k) != v},
    )
    return saved


@transaction.atomic
def saved_filter_delete(*, user, pk) -> None:
    saved = _own(user, pk)
    record(actor=user, action="saved_filter.deleted", obj=saved, changes={"query": [saved.query, None]})
    saved.delete()


@transaction.atomic
def saved_filter_set_default(*, user, pk, is_default: bool) -> SavedFilter:
    """Make one of the user's own filters their default list view (the previous default stops being
    one), or stop it being the default."""
    saved = _own(user, pk)
    if is_default:
        SavedFilter.objects.filter(owner=user, is_default=True).exclude(pk=saved.pk).update(is_default=False)
    if saved.is_default != is_default:
        record(
            actor=user,
            action="saved_filter.default_changed",
            obj=saved,
            changes={"is_default": [saved.is_default, is_default]},
        )
        saved.is_default = is_default
        saved.updated_at = timezone.now()
        saved.save(update_fields=["is_default", "updated_at"])
    return saved
