import django_filters
from django import forms
from django.db.models import F, Q, Value
from django.utils.choices import BaseChoiceIterator

from auditreg.models import Bureau, Section
from auditreg.widgets import FastSelect
from systems.models import InformationSystem

from .models import AuditReport, Finding, FindingGroup, FindingKindLabel, FindingSection, FindingSubject, ReportArea

CODES_TTL_SECONDS = 60
_codes_cache: dict = {}


def known_codes(vocabulary: str) -> set[str]:
    """The codes a kind / area filter accepts, cached for a minute per process (as the city's settings);
    an import forgets them at once (forget_codes)."""
    import time

    from django.conf import settings

    ttl = getattr(settings, "CITY_SETTINGS_TTL_SECONDS", CODES_TTL_SECONDS)
    cached = _codes_cache.get(vocabulary)
    if cached is not None and time.monotonic() - cached[0] < ttl:
        return cached[1]
    model = FindingKindLabel if vocabulary == "kind" else ReportArea
    codes = set(model.objects.values_list("code", flat=True))
    _codes_cache[vocabulary] = (time.monotonic(), codes)
    return codes


def forget_codes() -> None:
    _codes_cache.clear()


class CodeField(forms.CharField):
    """A code of a data table (the city's kinds, the reports' areas), checked against the known codes."""

    def __init__(self, *args, vocabulary: str, **kwargs):
        self.vocabulary = vocabulary
        super().__init__(*args, **kwargs)

    def validate(self, value):
        super().validate(value)
        if value and value not in known_codes(self.vocabulary):
            raise forms.ValidationError(f"正しく選択してください。「{value[:40]}」は選択肢にありません。")


class CodeFilter(django_filters.CharFilter):
    field_class = CodeField


class FindingFilterSet(django_filters.FilterSet):
    report = django_filters.ModelChoiceFilter(
        widget=FastSelect, label="報告書", queryset=AuditReport.objects.all(), empty_label="すべての報告書"
    )
    # codes of data tables (the city's kinds, the reports' areas): any value filters, an unknown one finds
    # nothing; the options are read with the other option lists, only when the select box is shown
    kind = CodeFilter(widget=FastSelect, label="区分", max_length=20, vocabulary="kind")
    area = CodeFilter(widget=FastSelect, label="分野", max_length=40, vocabulary="area")
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

    @property
    def form(self):
        if not hasattr(self, "_form"):
            _fill_choices(super().form)
        return self._form

    SECTION_PATHS = (
        (FindingSection, "section"),
        (FindingSubject, "system__section"),
        (FindingSubject, "project__section"),
    )

    def _by_sections(self, queryset, **lookups):
        """Findings whose responsible section (as named by the report) or whose subject's section
        matches: one subquery, a UNION over the small link tables, so the database looks up only the
        matching findings (no duplicate rows, no per-row queries, no scan of every finding)."""
        parts = [
            model.objects.filter(**{f"{path}__{key}": value for key, value in lookups.items()})
            .order_by()
            .values("finding_id")
            for model, path in self.SECTION_PATHS
        ]
        return queryset.filter(pk__in=parts[0].union(*parts[1:]))

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


def _submitted_pk(data, name):
    """A submitted id as an int, or None for anything that cannot be a row's id (text, full-width
    digits, a number too large for the database's integer)."""
    value = (data or {}).get(name)
    if not isinstance(value, str) or not (value.isascii() and value.isdigit()) or len(value) > 18:
        return None
    return int(value)


class _FilterOptions:
    """The options of the five select boxes, loaded when a select box is first rendered (never for
    the CSV export, which only validates). Reports and bureaus are listed in full; the 見出し and the
    information systems follow the chosen report, and the sections the chosen 局 (thousands of
    options otherwise, which cost more than the rest of the page); a submitted value is always among
    its box's options. Labels and order are those of the models' __str__ and Meta.ordering; validating
    a submitted value still goes through each field's queryset."""

    def __init__(self, data=None):
        self._options = None
        self.report = _submitted_pk(data, "report")
        self.bureau = _submitted_pk(data, "bureau")
        self.selected = {name: _submitted_pk(data, name) for name in ("group", "section", "system")}

    def __getitem__(self, name: str) -> list:
        if self._options is None:
            self._options = self._load()
        return self._options[name]

    def _chosen(self, name, within: Q) -> Q | None:
        """Rows within the chosen report/bureau, or the submitted one: None when there are neither."""
        picked = self.selected[name]
        if within is None and picked is None:
            return None
        return (within or Q(pk__in=[])) | Q(pk=picked) if picked is not None else within

    def _load(self) -> dict:
        reports = list(AuditReport.objects.order_by("-fiscal_year", "code").values_list("pk", "theme"))
        bureaus = list(Bureau.objects.order_by("order", "name", "pk").values_list("pk", "name"))
        groups, sections, systems = [], [], []
        where = self._chosen("group", Q(report_id=self.report) if self.report else None)
        if where is not None:
            groups = list(FindingGroup.objects.filter(where).order_by("report", "order").values_list("pk", "title"))
        where = self._chosen("section", Q(bureau_id=self.bureau) if self.bureau else None)
        if where is not None:
            sections = [
                (pk, f"{bureau} {name}")
                for pk, bureau, name in Section.objects.filter(where)
                .order_by("bureau__order", "order", "name")
                .values_list("pk", "bureau__name", "name")
            ]
        where = self._chosen("system", Q(report_id=self.report) if self.report else None)
        if where is not None:
            systems = [
                (pk, f"No.{number} {name}")
                for pk, number, name in InformationSystem.objects.filter(where, finding_subjects__isnull=False)
                .order_by("-report__fiscal_year", "report__code", "number", "pk")
                .values_list("pk", "number", "name")
                .distinct()
            ]
        # the city's kinds of finding and every report's areas, in one query (kinds first, in their order)
        kinds, areas = [], {}
        vocabulary = (
            FindingKindLabel.objects.order_by()
            .annotate(src=Value(0), pos=F("order"))
            .values_list("src", "code", "label", "pos")
            .union(
                ReportArea.objects.order_by()
                .annotate(src=Value(1), pos=F("order"))
                .values_list("src", "code", "label", "pos")
            )
            .order_by("src", "pos", "code")
        )
        for src, code, label, _ in vocabulary:
            if src == 0:
                kinds.append((code, label))
            else:
                areas.setdefault(code, label)
        return {
            "kind": kinds,
            "area": list(areas.items()),
            "report": reports,
            "group": groups,
            "bureau": bureaus,
            "section": sections,
            "system": systems,
        }


# the empty option of a box whose options follow another one, until that one is chosen
FOLLOWS = {
    "group": ("report", "報告書を選ぶと選べます"),
    "system": ("report", "報告書を選ぶと選べます"),
    "section": ("bureau", "局を選ぶと選べます"),
}


class _LazyChoices(BaseChoiceIterator):
    """A select box's choices, read from the shared _FilterOptions only when iterated."""

    def __init__(self, options: _FilterOptions, name: str, empty_label):
        self.options, self.name = options, name
        self.empty = [("", empty_label)] if empty_label is not None else []

    def __iter__(self):
        yield from self.empty
        yield from self.options[self.name]


def _fill_choices(form) -> None:
    options = _FilterOptions(form.data)
    for name in ("report", "group", "bureau", "section", "system"):
        field = form.fields[name]
        empty = field.empty_label
        if name in FOLLOWS and getattr(options, FOLLOWS[name][0]) is None:
            empty = f"{empty}（{FOLLOWS[name][1]}）"
        field.widget.choices = _LazyChoices(options, name, empty)
    for name, empty_label in (("kind", "すべての区分"), ("area", "すべて")):
        form.fields[name].widget.choices = _LazyChoices(options, name, empty_label)
