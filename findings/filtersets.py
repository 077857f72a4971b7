import django_filters
from django import forms
from django.db.models import Q

from auditreg.models import Bureau, Section
from auditreg.widgets import FastSelect
from systems.models import InformationSystem

from .choices import Area, FindingKind
from .models import AuditReport, Finding, FindingGroup, FindingSubject


class FindingFilterSet(django_filters.FilterSet):
    report = django_filters.ModelChoiceFilter(
        widget=FastSelect, label="報告書", queryset=AuditReport.objects.all(), empty_label="すべての報告書"
    )
    kind = django_filters.ChoiceFilter(
        widget=FastSelect, label="区分", choices=FindingKind.choices, empty_label="指摘・意見"
    )
    area = django_filters.ChoiceFilter(widget=FastSelect, label="分野", choices=Area.choices, empty_label="すべて")
    group = django_filters.ModelChoiceFilter(
        widget=FastSelect, label="見出し", queryset=FindingGroup.objects.select_related("report"), empty_label="すべて"
    )
    bureau = django_filters.ModelChoiceFilter(
        widget=FastSelect, label="局", queryset=Bureau.objects.all(), method="filter_bureau", empty_label="すべての局"
    )
    section = django_filters.ModelChoiceFilter(
        widget=FastSelect,
        label="課",
        queryset=Section.objects.select_related("bureau"),
        method="filter_section",
        empty_label="すべての課",
    )
    system = django_filters.ModelChoiceFilter(
        widget=FastSelect,
        label="情報システム",
        queryset=InformationSystem.objects.filter(finding_subjects__isnull=False).distinct(),
        method="filter_system",
        empty_label="すべて",
    )
    q = django_filters.CharFilter(
        label="キーワード",
        method="filter_q",
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "表題・本文（全角半角を区別しません）"}),
    )

    class Meta:
        model = Finding
        fields = ["report", "kind", "area", "group", "bureau", "section", "system", "q"]

    SECTION_PATHS = ("report_sections__section", "subjects__system__section", "subjects__project__section")

    def _by_sections(self, queryset, **lookups):
        """Findings whose responsible section (as named by the report) or whose subject's section
        matches; one subquery, so no duplicate rows and no per-row queries."""
        match = Q()
        for path in self.SECTION_PATHS:
            match |= Q(**{f"{path}__{key}": value for key, value in lookups.items()})
        return queryset.filter(pk__in=Finding.objects.filter(match).values("pk"))

    def filter_bureau(self, queryset, name, value):
        return self._by_sections(queryset, bureau=value) if value else queryset

    def filter_section(self, queryset, name, value):
        return self._by_sections(queryset, pk=value.pk) if value else queryset

    def filter_q(self, queryset, name, value):
        return queryset.search(value) if value else queryset

    def filter_system(self, queryset, name, value):
        # a subquery rather than a join: one row per finding whatever the number of subjects
        return (
            queryset.filter(pk__in=FindingSubject.objects.filter(system=value).values("finding_id"))
            if value
            else queryset
        )
