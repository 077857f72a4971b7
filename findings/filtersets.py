import time

import django_filters
from django import forms
from django.conf import settings
from django.db.models import F, Q, TextField, Value
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.choices import BaseChoiceIterator

from auditreg import access
from auditreg.models import Bureau, Section
from auditreg.validators import parse_id
from auditreg.widgets import FastSelect
from systems.models import InformationSystem

from . import compiled_sql
from .forms import BoundedDateField, FastDateInput, FastTextInput
from .models import (
    AuditReport,
    Finding,
    FindingGroup,
    FindingKindLabel,
    FindingSection,
    FindingSubject,
    Measure,
    MeasureStatus,
    ReportArea,
)
from .selectors import ORDERS, annotate_follow_up, order_by_organisation

CODES_TTL_SECONDS = 60
_codes_cache: dict = {}


def known_codes(vocabulary: str) -> set[str]:
    """The codes a kind / area filter accepts, cached for a minute per process (as the city's settings);
    an import forgets them at once (forget_codes)."""

    ttl = getattr(settings, "CITY_SETTINGS_TTL_SECONDS", CODES_TTL_SECONDS)
    cached = _codes_cache.get(vocabulary)
    if cached is not None and time.monotonic() - cached[0] < ttl:
        return cached[1]
    if vocabulary == "status":  # the statuses, and the two words of FindingFilterSet.status
        codes = set(MeasureStatus.objects.values_list("code", flat=True)) | {"unassigned", "open"}
    else:
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


# ?status=: a MeasureStatus code, or one of these two (未割当; 未完了 = assigned and not closed)
STATUS_UNASSIGNED, STATUS_OPEN = "unassigned", "open"
SORT_CHOICES = [("", "番号順（新しい報告書から）"), ("organisation", "組織順（所管課）")]
OVERDUE_CHOICES = [("1", "期限超過のみ"), ("0", "期限超過でないもの")]


class DateFilter(django_filters.DateFilter):
    """A date as people type it (令和7年4月1日, R7.4.1, 2025-04-01), read by the era-checked parser."""

    field_class = BoundedDateField


def _keep(queryset, name, value):
    """Filters applied together in FindingFilterSet.filter_queryset (they depend on each other)."""
    return queryset


class FindingFilterSet(django_filters.FilterSet):
    """The findings list's filters. Query parameters (the dashboard links to these):
    report, kind, area, group, bureau, section, system, q, status (a status code, `unassigned` or
    `open`), overdue (1 / 0), due_from / due_to (a date: ISO or 和暦), sort (`organisation`).

    bureau / section match the sections assigned (Measure rows the user may see) and, for findings not
    assigned yet, the sections the report names (or its subjects' sections). When one is chosen, the
    reply-by columns and the overdue / reply-by filters read that 局・課's measures only."""

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
        widget=FastSelect, label="所管局", queryset=Bureau.objects.all(), method=_keep, empty_label="すべての局"
    )
    section = django_filters.ModelChoiceFilter(
        widget=FastSelect,
        label="所管課",
        queryset=Section.objects.select_related("bureau"),
        method=_keep,
        empty_label="すべての課",
    )
    status = CodeFilter(widget=FastSelect, label="措置状況", max_length=30, vocabulary="status", method=_keep)
    overdue = django_filters.ChoiceFilter(
        widget=FastSelect, label="期限超過", choices=OVERDUE_CHOICES, empty_label="すべて", method=_keep
    )
    due_from = DateFilter(label="回答期限（から）", method=_keep, help_text="", widget=FastDateInput)
    due_to = DateFilter(label="回答期限（まで）", method=_keep, help_text="", widget=FastDateInput)
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
        widget=FastTextInput(attrs={"type": "search", "placeholder": "表題・本文（全角半角を区別しません）"}),
    )
    sort = django_filters.ChoiceFilter(
        widget=FastSelect, label="並び順", choices=SORT_CHOICES[1:], empty_label=SORT_CHOICES[0][1], method=_keep
    )

    class Meta:
        model = Finding
        fields = [
            "report",
            "kind",
            "area",
            "group",
            "bureau",
            "section",
            "status",
            "overdue",
            "due_from",
            "due_to",
            "system",
            "q",
            "sort",
        ]

    def __init__(self, data=None, queryset=None, *, user=None, today=None, **kwargs):
        super().__init__(data, queryset=queryset, **kwargs)
        self.user = user
        self.today = today or timezone.localdate()

    # the form class per filterset class, built once: its fields carry no request state (the choices are
    # set on each form's own deep copies, _fill_choices), and building 13 fields per request, their
    # querysets cloned, was a tenth of the list page's Python
    _form_classes: dict = {}

    def get_form_class(self):
        cls = type(self)
        if cls not in FindingFilterSet._form_classes:
            FindingFilterSet._form_classes[cls] = super().get_form_class()
        return FindingFilterSet._form_classes[cls]

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

    def measure_scope(self):
        """The measures the reply-by columns and filters read: those the user may see, of the chosen
        局・課 when one is chosen (valid form data only)."""
        data = self.form.cleaned_data if self.is_bound and self.form.is_valid() else {}
        measures = Measure.objects.for_user(self.user)
        if data.get("section"):
            return measures.filter(section=data["section"])
        if data.get("bureau"):
            return measures.filter(section__bureau=data["bureau"])
        return measures

    def _by_sections(self, queryset, measures, **lookups):
        """Findings assigned to the section(s) (the user's visible measures), or not assigned yet and
        named for them by the report (its responsible sections or its subjects' sections): one subquery,
        a UNION over the small link tables, so the database looks up only the matching findings (no
        duplicate rows, no per-row queries, no scan of every finding). A section user sees only their
        own section's measures, so for them the named sections count whatever the assignment (as before:
        nothing is learnt of other sections' assignments)."""
        unassigned = {"finding__status_code": ""} if access.sees_all(self.user) else {}
        parts = [measures.order_by().values("finding_id")] + [
            model.objects.filter(**{f"{path}__{key}": value for key, value in lookups.items()}, **unassigned)
            .order_by()
            .values("finding_id")
            for model, path in self.SECTION_PATHS
        ]
        return queryset.filter(pk__in=parts[0].union(*parts[1:]))

    @property
    def qs(self):
        if not hasattr(self, "_qs"):
            qs = super().qs
            self._qs = qs if self.is_bound else self._follow_up(qs, {})
        return self._qs

    def filter_queryset(self, queryset):
        return self._follow_up(super().filter_queryset(queryset), self.form.cleaned_data)

    def _follow_up(self, queryset, data):
        """The filters that read the measures, the reply-by columns and the order."""
        measures = self.measure_scope()
        if data.get("section"):
            queryset = self._by_sections(queryset, measures, pk=data["section"].pk)
        elif data.get("bureau"):
            queryset = self._by_sections(queryset, measures, bureau=data["bureau"])
        queryset = self._by_status(queryset, data.get("status"))
        overdue = measures.overdue(self.today).order_by().values("finding_id")
        if data.get("overdue") == "1":
            queryset = queryset.filter(pk__in=overdue)
        elif data.get("overdue") == "0":
            queryset = queryset.exclude(pk__in=overdue)
        queryset = self._by_nearest_reply(queryset, measures, data.get("due_from"), data.get("due_to"))
        queryset = annotate_follow_up(queryset, measures=measures, today=self.today)
        if data.get("sort") == "organisation":
            return order_by_organisation(queryset, measures=measures)
        return queryset.order_by(*ORDERS)

    def _by_status(self, queryset, code):
        """The finding's derived status (Finding.status_code). A section user is shown the current
        status only of the findings assigned to their section (selectors.scope_statuses), so for them
        the filter keeps to those: it never reveals another section's unpublished progress."""
        if not code:
            return queryset
        if code == STATUS_UNASSIGNED:
            queryset = queryset.filter(status_code="")
        elif code == STATUS_OPEN:
            queryset = queryset.exclude(status_code="").exclude(
                status_code__in=MeasureStatus.objects.filter(is_closed=True).values("code")
            )
        else:
            queryset = queryset.filter(status_code=code)
        if not access.sees_all(self.user):
            queryset = queryset.filter(pk__in=Measure.objects.for_user(self.user).order_by().values("finding_id"))
        return queryset

    @staticmethod
    def _by_nearest_reply(queryset, measures, due_from, due_to):
        """Findings whose nearest reply-by date (the column: the earliest of their open measures in
        scope) lies in the range: an open measure due within it, and (with a start) none due before it.
        Two index lookups on the measures instead of computing every finding's nearest date."""
        if not (due_from or due_to):
            return queryset
        within = measures.open().exclude(reply_by=None)
        if due_from:
            within = within.filter(reply_by__gte=due_from)
            earlier = measures.open().filter(reply_by__lt=due_from).order_by().values("finding_id")
            queryset = queryset.exclude(pk__in=earlier)
        if due_to:
            within = within.filter(reply_by__lte=due_to)
        return queryset.filter(pk__in=within.order_by().values("finding_id"))

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
    return parse_id(value) if isinstance(value, str) else None


class _FilterOptions:
    """The options of the select boxes, loaded when a select box is first rendered (never for
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

    def _rows(self, name, lookup: str, within: int | None, query) -> list[tuple]:
        """The rows of `query(where)` for box `name`: those within the chosen report/局 (`lookup` =
        `within`) and the submitted one; none when there are neither. Compiled once per box and shape
        (findings.compiled_sql), the ids put in as parameters."""
        picked = self.selected[name]
        ids = [i for i in (within, picked) if i is not None]
        if not ids:
            return []
        shape = (within is not None, picked is not None)

        def build(some):
            given = iter(some)
            where = Q(**{lookup: next(given)}) if shape[0] else Q(pk__in=[])
            return query(where | Q(pk=next(given)) if shape[1] else where)

        return compiled_sql.rows(("filter_options", name, shape), build, ids, slots=len(ids))

    def _load(self) -> dict:
        reports, bureaus, kinds, areas, statuses = _fixed_options()
        report, bureau = self.report or None, self.bureau or None
        groups = self._rows(
            "group",
            "report_id",
            report,
            lambda where: FindingGroup.objects.filter(where).order_by("report", "order").values_list("pk", "title"),
        )
        sections = [
            (pk, f"{bureau_name} {name}")
            for pk, bureau_name, name in self._rows(
                "section",
                "bureau_id",
                bureau,
                lambda where: (
                    Section.objects.filter(where)
                    .order_by("bureau__order", "order", "name")
                    .values_list("pk", "bureau__name", "name")
                ),
            )
        ]
        systems = [
            (pk, f"No.{number} {name}")
            for pk, number, name in self._rows(
                "system",
                "report_id",
                report,
                lambda where: (
                    InformationSystem.objects.filter(where, finding_subjects__isnull=False)
                    .order_by("-report__fiscal_year", "report__code", "number", "pk")
                    .values_list("pk", "number", "name")
                    .distinct()
                ),
            )
        ]
        return {
            "kind": kinds,
            "area": areas,
            "status": statuses,
            "report": reports,
            "group": groups,
            "bureau": bureaus,
            "section": sections,
            "system": systems,
        }


def _option_part(queryset, src: int, key, text, k1, k2, k3=None):
    return (
        queryset.order_by()
        .annotate(src=Value(src), key=key, text=text, k1=k1, k2=k2, k3=k3 if k3 is not None else Value(0))
        .values_list("src", "key", "text", "k1", "k2", "k3")
    )


def _fixed_options_query(_ids=()):
    as_text = Cast("pk", output_field=TextField())
    return (
        _option_part(FindingKindLabel.objects.all(), 0, F("code"), F("label"), F("order"), F("code"))
        .union(
            _option_part(ReportArea.objects.all(), 1, F("code"), F("label"), F("order"), F("code")),
            _option_part(MeasureStatus.objects.all(), 2, F("code"), F("label"), F("order"), F("code")),
            _option_part(AuditReport.objects.all(), 3, as_text, F("theme"), -F("fiscal_year"), F("code")),
            _option_part(Bureau.objects.all(), 4, as_text, F("name"), F("order"), F("name"), F("pk")),
            all=True,
        )
        .order_by("src", "k1", "k2", "k3")
    )


def _fixed_options():
    """The options that follow no other box, in one query (a UNION, each part in its model's order): the
    city's kinds of finding, every report's areas, the statuses, the reports (newest year first, then code)
    and the bureaus (their order, name, id). Returns (reports, bureaus, kinds, areas, statuses). The query
    is compiled once per process (findings.compiled_sql): it takes no parameter."""
    rows = compiled_sql.rows("fixed_options", _fixed_options_query, [], slots=0)
    reports, bureaus, kinds, areas = [], [], [], {}
    # the derived status of a finding: 未割当, each status, and 未完了 (assigned, not closed)
    statuses = [(STATUS_UNASSIGNED, "未割当")]
    for src, key, text, *_ in rows:
        if src == 0:
            kinds.append((key, text))
        elif src == 1:
            areas.setdefault(key, text)
        elif src == 2:
            statuses.append((key, text))
        elif src == 3:
            reports.append((int(key), text))
        else:
            bureaus.append((int(key), text))
    statuses.append((STATUS_OPEN, "未完了（完了していないもの）"))
    return reports, bureaus, kinds, list(areas.items()), statuses


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
    for name, empty_label in (("kind", "すべての区分"), ("area", "すべて"), ("status", "すべての状況")):
        form.fields[name].widget.choices = _LazyChoices(options, name, empty_label)
