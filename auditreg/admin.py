from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .changelog import diff, record
from .models import Bureau, ChangeLog, Section, User

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

    def delete_model(self, request, obj):
        values = self._values(obj)
        record(actor=request.user, action="admin.deleted", obj=obj, changes=diff(values, dict.fromkeys(values)))
        super().delete_model(request, obj)


class SectionInline(admin.TabularInline):
    model = Section
    extra = 0
    fields = ["order", "name", "valid_from", "valid_to"]


@admin.register(Bureau)
class BureauAdmin(LoggedAdmin):
    list_display = ["order", "name", "valid_from", "valid_to"]
    list_display_links = ["name"]
    inlines = [SectionInline]


@admin.register(Section)
class SectionAdmin(LoggedAdmin):
    list_display = ["bureau", "order", "name", "valid_from", "valid_to"]
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
        ("役割と所属", {"fields": ["role", "section", "deputy_title", "must_change_password"]}),
    ]
    add_fieldsets = [
        *BaseUserAdmin.add_fieldsets,
        (
            "氏名・役割と所属",
            {"fields": ["last_name", "first_name", "role", "section", "deputy_title", "must_change_password"]},
        ),
    ]


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
