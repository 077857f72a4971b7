import django_filters
from django import forms

from auditreg.models import Bureau, Section
from auditreg.search import search_key
from auditreg.widgets import FastSelect
from findings.models import AuditReport

from .choices import Importance
from .models import InformationSystem


class InformationSystemFilterSet(django_filters.FilterSet):
    report = django_filters.ModelChoiceFilter(
        widget=FastSelect, label="報告書", queryset=AuditReport.objects.filter(systems__isnull=False).distinct()
    )
    bureau = django_filters.ModelChoiceFilter(
        widget=FastSelect,
        label="局",
        queryset=Bureau.objects.all(),
        field_name="section__bureau",
        empty_label="すべての局",
    )
    section = django_filters.ModelChoiceFilter(
        widget=FastSelect, label="課", queryset=Section.objects.select_related("bureau"), empty_label="すべての課"
    )
    importance = django_filters.ChoiceFilter(
        widget=FastSelect, label="重要度", choices=Importance.choices, empty_label="すべて"
    )
    audited = django_filters.BooleanFilter(
        label="監査対象",
        widget=forms.Select(choices=[("", "すべて"), ("true", "監査対象のみ"), ("false", "監査対象外のみ")]),
    )
    q = django_filters.CharFilter(
        label="キーワード", method="filter_q", max_length=200, widget=forms.TextInput(attrs={"type": "search"})
    )

    class Meta:
        model = InformationSystem
        fields = ["report", "bureau", "section", "importance", "audited", "q"]

    def filter_q(self, queryset, name, value):
        for term in search_key(value).split():
            queryset = queryset.filter(search_text__contains=term)
        return queryset
