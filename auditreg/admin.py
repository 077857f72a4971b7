from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Bureau, ChangeLog, Section, User


class SectionInline(admin.TabularInline):
    model = Section
    extra = 0
    fields = ["order", "name", "valid_from", "valid_to"]


@admin.register(Bureau)
class BureauAdmin(admin.ModelAdmin):
    list_display = ["order", "name", "valid_from", "valid_to"]
    list_display_links = ["name"]
    inlines = [SectionInline]


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["bureau", "order", "name", "valid_from", "valid_to"]
    list_filter = ["bureau"]
    list_select_related = ["bureau"]
    search_fields = ["name", "bureau__name"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "last_name", "first_name", "role", "section", "is_active", "last_login"]
    list_filter = ["role", "is_active", "section__bureau"]
    list_select_related = ["section__bureau"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        ("役割と所属", {"fields": ["role", "section"]}),
    ]
    add_fieldsets = [
        *BaseUserAdmin.add_fieldsets,
        ("氏名・役割と所属", {"fields": ["last_name", "first_name", "role", "section"]}),
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
