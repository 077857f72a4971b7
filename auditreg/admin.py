from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.db import transaction

from .changelog import diff, record
from .models import Bureau, ChangeLog, CitySettings, Section, User

SECRET_FIELDS = {"password"}


class LoggedAdmin(admin.ModelAdmin):
    """Admin changes go to the same change log as every other change (who, when, before → after)."""

    def _values(self, obj):
        return {
            f.attname: ("(秘密)" if f.name in SECRET_FIELDS else getattr(obj, f.attname))
            for f in obj._meta.concrete_fields
        }

    def save_model(self, request, obj, form, change):
        before = self._values(type(obj).objects.get(pk=obj.pk)) if change and obj.pk else {}
        if change and obj.pk and "password" in (form.changed_data or []):
            before["password"] = "(変更前)"
        super().save_model(request, obj, form, change)
        after = self._values(obj)
        if change and before.get("password") == "(変更前)":
            after["password"] = "(変更後)"
        record(
            actor=request.user, action=f"admin.{'changed' if change else 'added'}", obj=obj, changes=diff(before, after)
        )

    def _record_deleted(self, request, obj, values=None):
        values = values if values is not None else self._values(obj)
        record(actor=request.user, action="admin.deleted", obj=obj, changes=diff(values, dict.fromkeys(values)))

    def delete_model(self, request, obj):
        self._record_deleted(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        """The changelist's bulk delete ("選択された … の削除"): one entry per deleted row, as for one."""
        for obj in queryset:
            self._record_deleted(request, obj)
        super().delete_queryset(request, queryset)

    def save_formset(self, request, form, formset, change):
        """Inline rows (the sections on a bureau's page) are logged as their own admin changes."""
        model = formset.model
        pks = [f.instance.pk for f in formset.initial_forms if f.instance.pk is not None]
        before = {pk: self._values(obj) for pk, obj in model._default_manager.in_bulk(pks).items()}
        for deleted in formset.deleted_forms:
            if deleted.instance.pk in before:
                self._record_deleted(request, deleted.instance, before[deleted.instance.pk])
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            record(actor=request.user, action="admin.added", obj=obj, changes=diff({}, self._values(obj)))
        for obj, _fields in formset.changed_objects:
            changes = diff(before.get(obj.pk, {}), self._values(obj))
            record(actor=request.user, action="admin.changed", obj=obj, changes=changes)

    def save_related(self, request, form, formsets, change):
        """Many-to-many fields (a user's groups and permissions) change after save_model: logged here."""
        fields = [f for f in form.instance._meta.many_to_many if f.name in form.cleaned_data]

        def current():
            return {f.name: "、".join(sorted(str(o) for o in getattr(form.instance, f.name).all())) for f in fields}

        before = current() if change else dict.fromkeys((f.name for f in fields), "")
        super().save_related(request, form, formsets, change)
        changes = diff(before, current())
        if changes:
            record(actor=request.user, action="admin.changed", obj=form.instance, changes=changes)


@admin.register(CitySettings)
class CitySettingsAdmin(LoggedAdmin):
    """One row: the city's name, the publication title pattern, the FY2019 era label …"""

    list_display = ["city_name", "system_name", "fy2019_label"]

    def has_add_permission(self, request):
        return not CitySettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.pk = 1
        super().save_model(request, obj, form, change)
        CitySettings.forget()


class SectionInline(admin.TabularInline):
    model = Section
    extra = 0
    fields = ["order", "name", "kind", "parent", "valid_from", "valid_to"]


@admin.register(Bureau)
class BureauAdmin(LoggedAdmin):
    list_display = ["order", "name", "kind", "valid_from", "valid_to"]
    list_display_links = ["name"]
    inlines = [SectionInline]


@admin.register(Section)
class SectionAdmin(LoggedAdmin):
    list_display = ["bureau", "order", "name", "kind", "parent", "valid_from", "valid_to"]
    list_filter = ["bureau"]
    list_select_related = ["bureau"]
    search_fields = ["name", "bureau__name"]


@admin.register(User)
class UserAdmin(LoggedAdmin, BaseUserAdmin):
    list_display = ["username", "last_name", "first_name", "role", "deputy_title", "section", "is_active", "last_login"]
    list_filter = ["role", "is_active", "section__bureau"]
    list_select_related = ["section__bureau"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        ("役割と所属", {"fields": ["role", "section", "bureau", "deputy_title", "must_change_password"]}),
    ]
    add_fieldsets = [
        *BaseUserAdmin.add_fieldsets,
        (
            "氏名・役割と所属",
            {
                "fields": [
                    *("last_name", "first_name", "role", "section", "bureau"),
                    *("deputy_title", "must_change_password"),
                ]
            },
        ),
    ]

    def user_change_password(self, request, id, form_url=""):
        """The admin's password page: a change is logged as a change of `password`, never its value or hash."""
        with transaction.atomic():
            before = User.objects.filter(pk=id).values_list("password", flat=True).first()
            response = super().user_change_password(request, id, form_url)
            user = User.objects.filter(pk=id).first()
            if request.method == "POST" and user is not None and user.password != before:
                record(
                    actor=request.user,
                    action="admin.password_changed",
                    obj=user,
                    changes={"password": ["(変更前)", "(変更後)" if user.has_usable_password() else "(使用不可)"]},
                )
        return response


@admin.register(ChangeLog)
class ChangeLogAdmin(admin.ModelAdmin):
    """Kept forever: viewable, never editable or deletable, not even by superusers."""

    list_display = ["at", "actor", "action", "object_repr", "finding_id"]
    list_filter = ["action", "object_type"]
    list_select_related = ["actor"]
    search_fields = ["object_repr", "comment", "actor__username", "actor__last_name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _log_admin_of(model) -> None:
    """Another app's admin (auth's groups, axes' lockout records) with the change log mixed in: every
    model the admin can write is logged, whoever registered it."""
    if not admin.site.is_registered(model):
        return
    current = type(admin.site.get_model_admin(model))
    if issubclass(current, LoggedAdmin):
        return
    admin.site.unregister(model)
    admin.site.register(model, type(current.__name__, (LoggedAdmin, current), {"__module__": __name__}))


def _log_other_apps() -> None:
    for model in (Group, AccessAttempt, AccessLog, AccessFailureLog):
        _log_admin_of(model)


_log_other_apps()
