"""The report's own text is read-only here: it changes only through a re-import of the bundle."""

from django.contrib import admin

from auditreg.admin import LoggedAdmin

from .models import AuditReport, Finding, FindingKindLabel, MeasureStatus, OrganisationChange, SubjectType


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditReport)
class AuditReportAdmin(ReadOnlyAdmin):
    list_display = ["code", "kind", "fiscal_year", "theme", "published_on"]


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ["code", "kind", "area", "title", "page", "report"]
    list_filter = ["report", "kind", "area"]
    list_select_related = ["report"]
    search_fields = ["code", "title", "search_text"]


@admin.register(MeasureStatus)
class MeasureStatusAdmin(LoggedAdmin):
    """Labels can be renamed (e.g. 措置済 → 改善済み); codes and meaning stay fixed."""

    list_display = ["order", "code", "label", "is_done", "is_closed", "requires_reason"]
    list_editable = ["label"]
    readonly_fields = ["code", "order", "is_done", "is_closed", "requires_reason"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FindingKindLabel)
class FindingKindLabelAdmin(LoggedAdmin):
    """The city's kinds of finding (指摘・意見, 指摘事項・要望 …): labels and whether the 措置状況 counts them.
    Codes stay fixed once findings use them (they are what the bundles and the findings hold)."""

    list_display = ["order", "code", "label", "counted_in_status"]
    list_editable = ["label", "counted_in_status"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return obj is not None and not Finding.objects.filter(kind=obj.code).exists()


@admin.register(SubjectType)
class SubjectTypeAdmin(LoggedAdmin):
    """What findings are raised against (DX事業, 補助金, 施設 …); a city may add its own."""

    list_display = ["order", "code", "label"]
    list_editable = ["label"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OrganisationChange)
class OrganisationChangeAdmin(ReadOnlyAdmin):
    """The record of reorganisation hand-overs; prepared and run on the office page (/findings/reorganisations/)
    or with manage.py reorganise, never edited here."""

    list_display = ["effective_on", "from_section", "state", "created_by", "created_at", "applied_at"]
    list_filter = ["state"]
    list_select_related = ["from_section__bureau", "created_by"]
