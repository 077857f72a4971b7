"""Saved filters of the findings list (issue 14, point 2): per user, named, one default view, shared
within the audit office; validated and bounded; every change in the change log."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from auditreg.choices import Role
from auditreg.models import ChangeLog, Section
from findings.models import SavedFilter
from findings.saved_filters import (
    MAX_QUERY_LENGTH,
    clean_query,
    saved_filter_delete,
    saved_filter_save,
    saved_filter_set_default,
    visible_saved_filters,
)

pytestmark = pytest.mark.django_db

LIST = reverse("findings:finding_list")
SAVE = reverse("findings:saved_filter_save")


@pytest.fixture
def people(make_user):
    koho = Section.objects.get(bureau__name="都市政策局", name="広報広聴課")
    return {
        "koho": koho,
        "a": make_user("office-a", Role.AUDITOR),
        "b": make_user("office-b", Role.AUDITOR),
        "admin": make_user("admin-c", Role.ADMIN),
        "staff": make_user("staff-d", Role.SECTION_STAFF, koho),
    }


def codes(response):
    return [f.code for f in response.context["page"]]


def test_query_is_kept_to_the_lists_filters_and_checked(people, report):
    koho = people["koho"]
    query = f"page=3&section={koho.pk}&overdue=1&csrfmiddlewaretoken=x&evil=1&q=&report={report.pk}"
    assert clean_query(user=people["a"], query=query) == f"report={report.pk}&section={koho.pk}&overdue=1"
    with pytest.raises(ValidationError, match="所管課"):
        clean_query(user=people["a"], query="section=999999")
    with pytest.raises(ValidationError, match="回答期限"):
        clean_query(user=people["a"], query="due_from=平成35年1月1日")
    with pytest.raises(ValidationError, match="長すぎます"):
        clean_query(user=people["a"], query="q=" + "あ" * 200 + "&x=" + "y" * (MAX_QUERY_LENGTH * 2))


def test_save_replace_default_and_history(people, report):
    a = people["a"]
    first = saved_filter_save(user=a, name="期限超過", query="overdue=1", is_default=True)
    second = saved_filter_save(user=a, name="広報広聴課", query=f"section={people['koho'].pk}", is_default=True)
    first.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)  # one default per user
    again = saved_filter_save(user=a, name="期限超過", query="overdue=1&status=open")
    assert again.pk == first.pk and again.query == "status=open&overdue=1"
    actions = list(ChangeLog.objects.filter(object_type="findings.savedfilter").values_list("action", flat=True))
    assert actions.count("saved_filter.saved") == 3
    saved_filter_set_default(user=a, pk=first.pk, is_default=True)
    second.refresh_from_db()
    assert not second.is_default and SavedFilter.objects.get(pk=first.pk).is_default
    saved_filter_delete(user=a, pk=second.pk)
    assert not SavedFilter.objects.filter(pk=second.pk).exists()
    assert ChangeLog.objects.filter(action="saved_filter.deleted", object_id=second.pk).exists()
    with pytest.raises(ValidationError):
        saved_filter_save(user=a, name="  ", query="")
    with pytest.raises(ValidationError):
        saved_filter_save(user=a, name="あ" * 61, query="")


def test_database_allows_one_default_per_owner(people):
    now = timezone.now()
    SavedFilter.objects.create(owner=people["a"], name="x", is_default=True, created_at=now, updated_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        SavedFilter.objects.create(owner=people["a"], name="y", is_default=True, created_at=now, updated_at=now)


def test_who_sees_and_changes_which(people):
    a, b, admin, staff = people["a"], people["b"], people["admin"], people["staff"]
    shared = saved_filter_save(user=a, name="共有", query="overdue=1", shared=True)
    private = saved_filter_save(user=a, name="自分用", query="status=open")
    own = saved_filter_save(user=staff, name="自課", query="overdue=1")
    assert set(visible_saved_filters(a)) == {shared, private}
    assert set(visible_saved_filters(b)) == {shared}
    assert set(visible_saved_filters(admin)) == {shared}
    assert set(visible_saved_filters(staff)) == {own}  # shared within the audit office only
    with pytest.raises(PermissionDenied):
        saved_filter_save(user=staff, name="共有したい", query="", shared=True)
    for user, pk in ((b, shared.pk), (staff, private.pk)):
        with pytest.raises(PermissionDenied):
            saved_filter_delete(user=user, pk=pk)
        with pytest.raises(PermissionDenied):
            saved_filter_set_default(user=user, pk=pk, is_default=True)
    assert SavedFilter.objects.filter(pk__in=[shared.pk, private.pk]).count() == 2


def test_the_default_view_is_applied_without_a_query(client, people, report):
    koho = people["koho"]
    client.force_login(people["a"])
    everything = client.get(LIST).context["total"]
    saved_filter_save(user=people["a"], name="報告書", query=f"report={report.pk}&kind=指摘", is_default=True)
    response = client.get(LIST)
    assert set(codes(response)) == {"指摘01", "指摘02", "指摘03"}
    html = response.content.decode()
    assert "既定の一覧「報告書」の条件で表示しています" in html
    assert f'href="{reverse("findings:finding_export_csv")}?report={report.pk}&amp;kind=%E6%8C%87%E6%91%98"' in html
    # 条件をクリア and すべて表示 show every finding, not the default again
    assert 'href="/findings/?all=1"' in html
    assert client.get(f"{LIST}?all=1").context["total"] == everything
    # another query wins over the default; another user's default is not theirs
    assert set(codes(client.get(f"{LIST}?section={koho.pk}&report={report.pk}&kind=指摘"))) == {"指摘01"}
    client.force_login(people["b"])
    assert client.get(LIST).context["total"] == everything


def test_views_save_pick_delete_and_refuse_with_a_message(client, people, report):
    client.force_login(people["a"])
    query = f"report={report.pk}&kind=指摘&page=2"
    response = client.post(SAVE, {"name": "指摘だけ", "query": query, "shared": "1"}, follow=True)
    assert response.status_code == 200
    saved = SavedFilter.objects.get(owner=people["a"], name="指摘だけ")
    assert saved.shared and saved.query == f"report={report.pk}&kind=%E6%8C%87%E6%91%98"
    assert "絞り込み「指摘だけ」を保存しました。" in response.content.decode()
    assert set(codes(response)) == {"指摘01", "指摘02", "指摘03"}  # back on the list with the filter
    # picking it is a link with its query
    assert f'href="?{escape(saved.query)}"' in client.get(LIST + "?all=1").content.decode()
    # a bad query is a message, nothing saved, never a 500
    response = client.post(SAVE, {"name": "壊れた", "query": "section=abc"}, follow=True)
    assert response.status_code == 200 and "条件に誤りがあります" in response.content.decode()
    assert not SavedFilter.objects.filter(name="壊れた").exists()
    # the other office user sees it shared, cannot delete it
    client.force_login(people["b"])
    html = client.get(LIST).content.decode()
    assert "指摘だけ" in html and "（共有・監査太郎）" in html
    response = client.post(reverse("findings:saved_filter_delete", args=[saved.pk]), follow=True)
    assert "この保存した絞り込みは変更できません。" in response.content.decode()
    assert SavedFilter.objects.filter(pk=saved.pk).exists()
    # a section user may save their own but not share
    client.force_login(people["staff"])
    response = client.post(SAVE, {"name": "自課", "query": "overdue=1", "shared": "1"}, follow=True)
    assert "共有できるのは監査事務局の職員だけです。" in response.content.decode()
    assert "監査事務局内で共有する" not in response.content.decode()
    # the owner sets it as default, then deletes it
    client.force_login(people["a"])
    client.post(reverse("findings:saved_filter_default", args=[saved.pk]), {"is_default": "1"})
    assert SavedFilter.objects.get(pk=saved.pk).is_default
    assert set(codes(client.get(LIST))) == {"指摘01", "指摘02", "指摘03"}
    client.post(reverse("findings:saved_filter_delete", args=[saved.pk]))
    assert not SavedFilter.objects.filter(pk=saved.pk).exists()


def test_saving_needs_a_post(client, people):
    client.force_login(people["a"])
    assert client.get(SAVE).status_code == 405


def test_saved_names_are_escaped(client, people):
    saved_filter_save(user=people["a"], name="<script>x</script>", query="")
    client.force_login(people["a"])
    html = client.get(LIST).content.decode()
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
