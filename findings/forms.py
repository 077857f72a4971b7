import datetime

from django import forms

from auditreg.models import Section

from .choices import StatusCode
from .models import MeasureStatus


class DateInput(forms.DateInput):
    input_type = "date"


EARLIEST = datetime.date(1926, 12, 25)  # 昭和 onwards (dates are shown in 和暦)
LATEST = datetime.date(2200, 12, 31)


class BoundedDateField(forms.DateField):
    """A date within the range the register can store and show."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", DateInput)
        super().__init__(*args, **kwargs)

    def validate(self, value):
        super().validate(value)
        if value and not EARLIEST <= value <= LATEST:
            raise forms.ValidationError(f"{EARLIEST.year}年〜{LATEST.year}年の日付を入力してください。")


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Refuses ids that are not plain 64-bit integers before they reach the database (an id beyond
    64 bits in an `in` lookup is a driver error, not a validation error)."""

    def _check_values(self, value):
        for v in value:
            text = str(v)
            if not (text.isascii() and text.isdigit() and len(text) <= 18):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": text[:40]}
                )
        return super()._check_values(value)


class AssignForm(forms.Form):
    sections = IdMultipleChoiceField(
        label="所管課",
        queryset=Section.objects.select_related("bureau").order_by("bureau__order", "order"),
        widget=forms.SelectMultiple(attrs={"size": 12}),
        help_text="複数選べます（Ctrl / ⌘ を押しながらクリック）。課ごとに措置を一つずつ管理します。",
    )
    reply_by = BoundedDateField(label="回答期限", required=False)


class ReportForm(forms.Form):
    status = forms.ModelChoiceField(
        label="措置状況", queryset=MeasureStatus.objects.exclude(code=StatusCode.NOT_STARTED), empty_label=None
    )
    reported_on = BoundedDateField(label="報告日（この内容の時点）")
    text = forms.CharField(
        label="措置（対応）の内容", required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 8})
    )
    planned_completion_on = BoundedDateField(label="完了予定日", required=False)
    completed_on = BoundedDateField(label="措置年月日（措置済の場合）", required=False)
    reason = forms.CharField(
        label="措置しない理由（措置しない場合）",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)


class ReviewForm(forms.Form):
    comment = forms.CharField(
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
        widget=forms.SelectMultiple(attrs={"size": 3}),
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
        from auditreg.models import Bureau

        from .models import AuditReport, FindingKindLabel
        from .status import UNASSIGNED

        super().__init__(*args, **kwargs)
        self.fields["reports"].queryset = AuditReport.objects.order_by("-fiscal_year", "code")
        self.fields["bureau"].queryset = Bureau.objects.order_by("order")
        self.fields["section"].queryset = Section.objects.select_related("bureau").order_by("bureau__order", "order")
        # values are status codes: a filter keeps working when the city renames a label
        statuses = MeasureStatus.objects.order_by("order").values_list("code", "label")
        self.fields["status"].choices = [("", "すべて"), ("unassigned", UNASSIGNED), *statuses]
        kinds = FindingKindLabel.objects.order_by("order", "code").values_list("code", "label")
        self.fields["kind"].choices = [("", "すべての区分"), *kinds]
        from .status_report import ORDERS

        self.fields["order"].choices = list(ORDERS.items())

    def clean_order(self):
        return self.cleaned_data["order"] or "organisation"

    def clean_commissioners(self):
        names = [n.strip() for n in self.cleaned_data["commissioners"].splitlines() if n.strip()]
        if len(names) > 20:
            raise forms.ValidationError("監査委員は 20 人までです。")
        return names

    def preamble_data(self) -> dict | None:
        """The 前文 chosen (findings.reports.preamble fills empty fields from settings), or None."""
        d = self.cleaned_data
        if not d.get("preamble"):
            return None
        from .reports import preamble

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
