import datetime
import html

from django import forms
from django.utils.safestring import mark_safe

from auditreg import wareki
from auditreg.models import Bureau, Section
from auditreg.validators import parse_id
from auditreg.wareki import EARLIEST, LATEST
from auditreg.widgets import SHORT_LIST, CheckboxPicker

from .choices import StatusCode
from .models import AuditReport, FindingKindLabel, MeasureStatus
from .renderers import preamble
from .status import UNASSIGNED
from .status_report import ORDERS


class DateInput(forms.TextInput):
    """A date typed as people write it (令和7年4月1日, R7.4.1 or 2025-04-01) and shown back in 和暦."""

    def __init__(self, attrs=None):
        super().__init__({"autocomplete": "off", "placeholder": "例: 令和7年4月1日", **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, datetime.date):
            return wareki.format_date(value)
        return super().format_value(value)


def _html(value) -> str:
    """conditional_escape's result as a plain str (safe strings as they are, anything else escaped)."""
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


class FastInputMixin:
    """An <input> rendered in Python: what Django's input.html and attrs.html templates give for the
    same context (tested equal), without a template render per box."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<input type="{_html(widget["type"])}" name="{_html(widget["name"])}"']
        if widget["value"] is not None:
            parts.append(f' value="{_html(widget["value"])}"')
        for key, item in widget["attrs"].items():
            if item is True:
                parts.append(f" {_html(key)}")
            elif item is not False:
                parts.append(f' {_html(key)}="{_html(item)}"')
        return mark_safe("".join(parts) + ">")  # noqa: S308 - every part escaped


class FastTextInput(FastInputMixin, forms.TextInput):
    pass


class FastDateInput(FastInputMixin, DateInput):
    pass


# one box of the filter forms (templates/includes/filter_form.html, as it rendered each field)
_FIELD = '\n  <div class="field">\n    <label for="{id}">{label}</label>\n    {widget}\n    {errors}\n  </div>\n  '


def filter_fields_html(form) -> str:
    """The filter form's boxes as HTML, each label, box and errors as includes/filter_form.html renders
    them (tested equal), in Python: that template's loop and Django's input templates were a fifth of
    the findings list's own work."""
    parts = []
    for field in form:
        errors = "".join(f'<div class="error" role="alert">{_html(e)}</div>' for e in field.errors)
        parts.append(
            _FIELD.format(id=_html(field.id_for_label), label=_html(field.label), widget=_html(field), errors=errors)
        )
    return mark_safe("".join(parts))  # noqa: S308 - every part escaped


class BoundedDateField(forms.DateField):
    """A date within the range the register can store and show, read by the one era-checked parser
    (auditreg.wareki.parse_date): 令和7年4月1日, R7.4.1, ISO; 平成35年 or 令和1年4月1日 are refused."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", DateInput)
        kwargs.setdefault("help_text", "令和7年4月1日・R7.4.1・2025-04-01 のどの形でも入力できます。")
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        try:
            return wareki.parse_date(value)
        except wareki.DateParseError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None

    def prepare_value(self, value):
        """Echo what was typed in 和暦 once it reads as a date (R7.4.1 comes back as 令和7年4月1日);
        text that does not read stays as typed, beside its error."""
        if isinstance(value, str) and value.strip():
            try:
                return wareki.parse_date(value)
            except wareki.DateParseError:
                return value
        return value

    def validate(self, value):
        super().validate(value)
        if value and not EARLIEST <= value <= LATEST:
            raise forms.ValidationError(f"{EARLIEST.year}年〜{LATEST.year}年の日付を入力してください。")


class LimitedText(forms.CharField):
    """A text with a length limit the page shows with a counter (static/js/app.js). No `maxlength`
    attribute: a browser cuts pasted text at it without a word; here an over-long text is refused
    with a message and stays in the form, so the writer decides what to shorten."""

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        if self.max_length is not None:
            attrs["data-maxlength"] = str(self.max_length)
        return attrs


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Refuses ids that are not plain 64-bit integers before they reach the database (an id beyond
    64 bits in an `in` lookup is a driver error, not a validation error)."""

    def _check_values(self, value):
        for v in value:
            text = str(v)
            if parse_id(text) is None:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": text[:40]}
                )
        return super()._check_values(value)


def picker_groups(sections, chosen: set[str], own=lambda section: "") -> list:
    """[(bureau, [(section, checked, its own reply-by text)])] for the section picker
    (templates/findings/includes/section_picker.html), in the order of `sections` (select_related
    bureau); `chosen`: the checked section ids as text; `own(section)`: the per-section date shown."""
    groups: dict[int, tuple] = {}
    for section in sections:
        groups.setdefault(section.bureau_id, (section.bureau, []))[1].append(
            (section, str(section.pk) in chosen, own(section))
        )
    return list(groups.values())


class AssignForm(forms.Form):
    """所管課 as checkboxes grouped by 局 (templates/findings/includes/section_picker.html), a common
    回答期限 and, per section, an optional date of its own (reply_by_<section id>)."""

    sections = IdMultipleChoiceField(
        label="所管課",
        queryset=Section.objects.select_related("bureau").order_by("bureau__order", "order"),
        widget=forms.CheckboxSelectMultiple,
        help_text="課ごとに措置を一つずつ管理します。局の見出しのチェックで、その局の課をまとめて選べます。",
    )
    reply_by = BoundedDateField(label="回答期限（共通）", required=False)

    def clean(self):
        data = super().clean()
        per_section = {}
        for section in data.get("sections") or []:
            raw = self.data.get(f"reply_by_{section.pk}", "")
            if not str(raw).strip():
                continue
            try:
                per_section[section.pk] = BoundedDateField(required=False).clean(raw)
            except forms.ValidationError as exc:
                self.add_error(None, f"{section.bureau.name} {section.name} の回答期限: {' '.join(exc.messages)}")
        data["reply_by_per_section"] = per_section
        return data

    def picker_groups(self, *, current_reply_by: dict[int, datetime.date] | None = None):
        """[(bureau, [(section, checked, its own reply-by text)])] in the organisation's order."""
        if self.is_bound:
            chosen = {str(v) for v in self.data.getlist("sections")} if hasattr(self.data, "getlist") else set()
        else:
            chosen = {str(getattr(s, "pk", s)) for s in self.initial.get("sections") or []}
        common = self.initial.get("reply_by")

        def own(section):
            if self.is_bound:
                return self.data.get(f"reply_by_{section.pk}", "")
            day = (current_reply_by or {}).get(section.pk)
            return wareki.format_date(day) if day and day != common else ""

        return picker_groups(self.fields["sections"].queryset, chosen, own)


class ReportForm(forms.Form):
    status = forms.ModelChoiceField(
        label="措置状況", queryset=MeasureStatus.objects.exclude(code=StatusCode.NOT_STARTED), empty_label=None
    )
    reported_on = BoundedDateField(label="報告日（この内容の時点）")
    text = LimitedText(
        label="措置（対応）の内容", required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 8})
    )
    planned_completion_on = BoundedDateField(label="完了予定日", required=False)
    completed_on = BoundedDateField(label="措置年月日（措置済の場合）", required=False)
    reason = LimitedText(
        label="措置しない理由（措置しない場合）",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    # evidence in the same save as the text: one form, one button, nothing typed is lost to a second form
    evidence = forms.FileField(
        label="根拠資料（任意・PDF・Excel・Word・画像など、10MB まで）",
        required=False,
        help_text="選んだファイルは、この下書きの保存と同時に登録します。",
    )


class SectionReturnForm(forms.Form):
    comment = LimitedText(
        label="担当への修正依頼（課内差戻し・必須）",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="自分で編集すると、その報告を承認できなくなります。直してほしい点を書いて担当に戻してください。",
    )


class ReviewForm(forms.Form):
    comment = LimitedText(
        label="コメント（差戻しの場合は必須。所管課に表示されます）",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class EvidenceForm(forms.Form):
    file = forms.FileField(label="根拠資料（PDF・Excel・Word・画像など、10MB まで）")


class StatusChoiceField(forms.ChoiceField):
    """A status by code; a label (links made before codes were used) is read as its code."""

    def to_python(self, value):
        value = super().to_python(value)
        by_label = {label: code for code, label in self.choices if code}
        return by_label.get(value, value)


class StatusReportForm(forms.Form):
    """The choices behind a 措置状況: which reports, as of when, how rows are cut, and filters."""

    reports = IdMultipleChoiceField(
        label="報告書",
        queryset=None,
        widget=CheckboxPicker(search="報告書の名前で絞り込む", search_above=SHORT_LIST),
        help_text="複数選ぶと、過年度の報告書の項目も併せて掲載します（最初の報告書の表題になります）。",
    )
    as_of = BoundedDateField(label="時点（この日までに受理した報告）")
    per = forms.ChoiceField(
        label="行の単位", choices=[("finding", "指摘・意見ごと"), ("section", "所管課ごと")], initial="finding"
    )
    bureau = forms.ModelChoiceField(label="局", queryset=None, required=False, empty_label="すべての局")
    section = forms.ModelChoiceField(label="課", queryset=None, required=False, empty_label="すべての課")
    kind = forms.ChoiceField(
        label="区分", required=False, choices=[("", "指摘・意見"), ("指摘", "指摘"), ("意見", "意見")]
    )
    status = StatusChoiceField(label="措置状況", required=False, choices=())
    order = forms.ChoiceField(label="並び順", required=False, choices=(), initial="organisation")
    # the 前文 of the printed 措置状況 (PDF and the published HTML); empty fields take the settings' defaults
    preamble = forms.BooleanField(label="前文を付ける", required=False)
    legal_basis = forms.CharField(label="前文：根拠法令", required=False, max_length=200)
    notifier = forms.CharField(label="前文：通知者（例：◯◯市長 氏名）", required=False, max_length=200)
    notified_on = BoundedDateField(label="前文：通知日", required=False)
    commissioners = forms.CharField(
        label="前文：監査委員（1 行に 1 人）",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):

        super().__init__(*args, **kwargs)
        self.fields["reports"].queryset = AuditReport.objects.order_by("-fiscal_year", "code")
        self.fields["bureau"].queryset = Bureau.objects.order_by("order")
        self.fields["section"].queryset = Section.objects.select_related("bureau").order_by("bureau__order", "order")
        # values are status codes: a filter keeps working when the city renames a label
        statuses = MeasureStatus.objects.order_by("order").values_list("code", "label")
        self.fields["status"].choices = [("", "すべて"), ("unassigned", UNASSIGNED), *statuses]
        kinds = FindingKindLabel.objects.order_by("order", "code").values_list("code", "label")
        self.fields["kind"].choices = [("", "すべての区分"), *kinds]

        self.fields["order"].choices = list(ORDERS.items())

    def clean_order(self):
        return self.cleaned_data["order"] or "organisation"

    def clean_commissioners(self):
        names = [n.strip() for n in self.cleaned_data["commissioners"].splitlines() if n.strip()]
        if len(names) > 20:
            raise forms.ValidationError("監査委員は 20 人までです。")
        return names

    def preamble_data(self) -> dict | None:
        """The 前文 chosen (findings.renderers.preamble fills empty fields from settings), or None."""
        d = self.cleaned_data
        if not d.get("preamble"):
            return None

        return preamble(
            legal_basis=d["legal_basis"],
            notifier=d["notifier"],
            notified_on=d["notified_on"],
            commissioners=d["commissioners"],
        )

    def clean_reports(self):
        reports = list(self.cleaned_data["reports"])
        # keep the newest first: it names the publication
        return sorted(reports, key=lambda r: (-r.fiscal_year, r.code))


class PublicationForm(forms.Form):
    number = forms.IntegerField(label="公表番号（第◯号）", min_value=1, max_value=10**6)
    published_on = BoundedDateField(label="公表日")
    confirm_same_content = forms.BooleanField(label="前回の公表と同じ内容でも公表する", required=False)

    def __init__(self, *args, same_content: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not same_content:  # the confirmation is asked only when the content equals the last publication
            del self.fields["confirm_same_content"]
