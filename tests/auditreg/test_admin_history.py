"""Change history without holes in the admin: every model the admin can write, and every way it writes
(add, change, inline rows, delete, bulk delete, the password page, many-to-many), leaves a change-log
entry with the actor; a password change is logged without the password or its hash.

The walk goes over admin.site's registry, so a model registered later without the log fails here."""

import json
from html.parser import HTMLParser

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from auditreg.admin import LoggedAdmin
from auditreg.choices import Role
from auditreg.models import Bureau, ChangeLog, CitySettings, Section, User
from findings.models import FindingKindLabel, MeasureStatus, SubjectType

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(client, make_user):
    user = make_user("root", Role.ADMIN, last_name="管理", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


class _Form(HTMLParser):
    """The fields of the admin's main form as a browser would submit them (inputs, checked boxes, selected
    options, textareas), so that a test can post a page back without knowing its fields."""

    def __init__(self):
        super().__init__()
        self.data: list[tuple[str, str]] = []
        self.inside = False
        self.select = None
        self.textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id", "").endswith("_form")
        if not self.inside or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button", "file", "image", "reset"):
                self.data.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self.select = name
        elif tag == "option" and self.select and "selected" in a:
            self.data.append((self.select, a.get("value", "")))
        elif tag == "textarea" and name:
            self.textarea = name
            self.data.append((name, ""))

    def handle_data(self, data):
        if self.textarea:
            self.data[-1] = (self.textarea, self.data[-1][1] + data)

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def form_of(response) -> dict:
    parser = _Form()
    parser.feed(response.content.decode())
    data: dict = {}
    for name, value in parser.data:
        data.setdefault(name, []).append(value.lstrip("\n") if name in data else value)
    return {k: v if len(v) > 1 else v[0] for k, v in data.items()}


def disposable(model):
    """A fresh row of each model the admin can write (deletable: nothing refers to it), or a fixed one."""
    now = timezone.now()
    makers = {
        Bureau: lambda: Bureau.objects.create(name="試験局", order=900),
        Section: lambda: Section.objects.create(bureau=Bureau.objects.order_by("pk").first(), name="試験課", order=900),
        User: lambda: User.objects.create_user(
            "disposable", password="x-Secret-42", last_name="試験", role=Role.AUDITOR
        ),
        Group: lambda: Group.objects.create(name="試験グループ"),
        MeasureStatus: lambda: MeasureStatus.objects.get(code="done"),  # fixed rows: change only
        CitySettings: lambda: CitySettings.objects.get_or_create(pk=1)[0],
        FindingKindLabel: lambda: FindingKindLabel.objects.order_by("order").first(),
        SubjectType: lambda: SubjectType.objects.order_by("order").first(),
        AccessAttempt: lambda: AccessAttempt.objects.create(
            username="someone", ip_address="10.0.0.1", user_agent="x", failures_since_start=5, attempt_time=now
        ),
        AccessLog: lambda: AccessLog.objects.create(
            username="someone", ip_address="10.0.0.1", user_agent="x", attempt_time=now
        ),
        AccessFailureLog: lambda: AccessFailureLog.objects.create(
            username="someone", ip_address="10.0.0.1", user_agent="x", attempt_time=now, locked_out=True
        ),
    }
    assert model in makers, f"{model._meta.label}: add a disposable row here, and log its admin (auditreg.admin)"
    return makers[model]()


def writable_models(request) -> list:
    out = []
    for model, model_admin in admin.site._registry.items():
        perms = [model_admin.has_add_permission(request), model_admin.has_delete_permission(request)]
        perms.append(model_admin.has_change_permission(request))
        if any(perms):
            out.append(model)
    return out


def entries(obj, action=None):
    qs = ChangeLog.objects.filter(object_type=obj._meta.label_lower, object_id=obj.pk)
    return qs.filter(action=action) if action else qs


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_model_the_admin_can_write_is_logged_on_change_delete_and_bulk_delete(client, root, rf):
    request = rf.get("/")
    request.user = root
    models = writable_models(request)
    assert {Bureau, Section, User, Group, AccessAttempt} <= set(models)  # the walk is not vacuous
    for model in models:
        model_admin = admin.site.get_model_admin(model)
        assert isinstance(model_admin, LoggedAdmin), model._meta.label
        label = model._meta.label
        if model_admin.has_change_permission(request):
            obj = disposable(model)
            page = client.get(_url(model, "change", obj.pk))
            assert page.status_code == 200, label
            response = client.post(_url(model, "change", obj.pk), {**form_of(page), "_save": "保存"})
            assert response.status_code == 302, (label, response.content.decode()[:3000])
            assert entries(obj, "admin.changed").filter(actor=root).exists(), label
            if model_admin.has_delete_permission(request):
                obj.delete()
        if model_admin.has_delete_permission(request):
            one = disposable(model)
            pk = one.pk
            response = client.post(_url(model, "delete", pk), {"post": "yes"})
            assert response.status_code == 302 and not model.objects.filter(pk=pk).exists(), label
            entry = ChangeLog.objects.get(object_type=model._meta.label_lower, object_id=pk, action="admin.deleted")
            assert entry.actor == root, label
            two = disposable(model)
            pk = two.pk
            bulk = {"action": "delete_selected", "_selected_action": [pk], "post": "yes"}
            response = client.post(_url(model, "changelist"), bulk)
            assert response.status_code == 302 and not model.objects.filter(pk=pk).exists(), label
            entry = ChangeLog.objects.get(object_type=model._meta.label_lower, object_id=pk, action="admin.deleted")
            assert entry.actor == root and entry.changes, label


def test_inline_sections_edited_on_the_bureau_page_are_logged(client, root):
    bureau = Bureau.objects.get(name="都市政策局")
    page = client.get(_url(Bureau, "change", bureau.pk))
    data = form_of(page)
    prefix = next(k.rsplit("-", 1)[0] for k in data if k.endswith("-TOTAL_FORMS"))
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    names = {i: data[f"{prefix}-{i}-name"] for i in range(total)}
    renamed = next(i for i, n in names.items() if n == "広報広聴課")
    data[f"{prefix}-{renamed}-name"] = "広報広聴室"
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": str(total + 1),
            f"{prefix}-{total}-order": "99",
            f"{prefix}-{total}-name": "新設課",
            f"{prefix}-{total}-bureau": str(bureau.pk),
            "_save": "保存",
        }
    )
    response = client.post(_url(Bureau, "change", bureau.pk), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    section = Section.objects.get(bureau=bureau, name="広報広聴室")
    changed = entries(section, "admin.changed").get()
    assert changed.actor == root and changed.changes["name"] == ["広報広聴課", "広報広聴室"]
    added = entries(Section.objects.get(bureau=bureau, name="新設課"), "admin.added").get()
    assert added.actor == root and added.changes["name"] == [None, "新設課"]


def test_an_inline_section_deleted_on_the_bureau_page_is_logged(client, root):
    bureau = Bureau.objects.create(name="試験局", order=900)
    section = Section.objects.create(bureau=bureau, name="廃止課", order=1)
    page = client.get(_url(Bureau, "change", bureau.pk))
    data = form_of(page)
    prefix = next(k.rsplit("-", 1)[0] for k in data if k.endswith("-TOTAL_FORMS"))
    response = client.post(_url(Bureau, "change", bureau.pk), {**data, f"{prefix}-0-DELETE": "on", "_save": "保存"})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert not Section.objects.filter(pk=section.pk).exists()
    entry = ChangeLog.objects.get(object_type="auditreg.section", object_id=section.pk, action="admin.deleted")
    assert entry.actor == root and entry.changes["name"] == ["廃止課", None]


def test_a_password_changed_in_the_admin_is_logged_without_the_password(client, root, make_user):
    target = make_user("target", Role.AUDITOR, last_name="対象")
    old_hash = User.objects.get(pk=target.pk).password
    secret = "Kanazawa-new-Pass-2025"
    response = client.post(
        reverse("admin:auth_user_password_change", args=[target.pk]),
        {"password1": secret, "password2": secret, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    target.refresh_from_db()
    assert target.check_password(secret)
    entry = entries(target, "admin.password_changed").get()
    assert entry.actor == root and entry.changes == {"password": ["(変更前)", "(変更後)"]}
    for row in ChangeLog.objects.all():  # nothing in the log holds the password or either hash
        text = json.dumps([row.changes, row.comment, row.object_repr], ensure_ascii=False)
        assert secret not in text and target.password not in text and old_hash not in text


def test_a_users_groups_changed_in_the_admin_are_logged(client, root, make_user):
    target = make_user("target", Role.AUDITOR, last_name="対象")
    group = Group.objects.create(name="閲覧者")
    page = client.get(_url(User, "change", target.pk))
    data = {**form_of(page), "groups": [str(group.pk)], "_save": "保存"}
    response = client.post(_url(User, "change", target.pk), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    logged = [e.changes["groups"] for e in entries(target, "admin.changed") if "groups" in e.changes]
    assert logged == [["", "閲覧者"]]


def test_a_groups_permissions_changed_in_the_admin_are_logged(client, root):
    group = Group.objects.create(name="閲覧者")
    permission = Permission.objects.get(codename="view_section")
    page = client.get(_url(Group, "change", group.pk))
    data = {**form_of(page), "permissions": [str(permission.pk)], "_save": "保存"}
    response = client.post(_url(Group, "change", group.pk), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    entry = entries(group, "admin.changed").exclude(changes={}).get()
    assert entry.changes["permissions"] == ["", str(permission)]


def test_a_section_and_a_user_added_in_the_admin_are_logged(client, root):
    bureau = Bureau.objects.get(name="都市政策局")
    response = client.post(_url(Section, "add"), {"bureau": bureau.pk, "name": "新設課", "order": 99, "_save": "保存"})
    assert response.status_code == 302, response.content.decode()[:3000]
    section = Section.objects.get(bureau=bureau, name="新設課")
    assert entries(section, "admin.added").get().actor == root
    page = form_of(client.get(_url(User, "add")))
    secret = "Kanazawa-new-Pass-2025"
    data = {**page, "username": "newcomer", "password1": secret, "password2": secret, "usable_password": "true"}
    data |= {"last_name": "新人", "role": Role.AUDITOR, "_save": "保存"}
    response = client.post(_url(User, "add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(username="newcomer")
    entry = entries(user, "admin.added").get()
    logged = json.dumps(entry.changes, ensure_ascii=False)
    assert entry.actor == root and secret not in logged and user.password not in logged
