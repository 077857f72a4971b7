from django import forms

from auditreg.models import Section

from .choices import StatusCode
from .models import MeasureStatus


class DateInput(forms.DateInput):
    input_type = "date"


class AssignForm(forms.Form):
    sections = forms.ModelMultipleChoiceField(
        label="所管課",
        queryset=Section.objects.select_related("bureau").order_by("bureau__order", "order"),
        widget=forms.SelectMultiple(attrs={"size": 12}),
        help_text="複数選べます（Ctrl / ⌘ を押しながらクリック）。課ごとに措置を一つずつ管理します。",
    )
    reply_by = forms.DateField(label="回答期限", required=False, widget=DateInput)


class ReportForm(forms.Form):
    status = forms.ModelChoiceField(
        label="措置状況", queryset=MeasureStatus.objects.exclude(code=StatusCode.NOT_STARTED), empty_label=None
    )
    reported_on = forms.DateField(label="報告日（この内容の時点）", widget=DateInput)
    text = forms.CharField(
        label="措置（対応）の内容", required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 8})
    )
    planned_completion_on = forms.DateField(label="完了予定日", required=False, widget=DateInput)
    completed_on = forms.DateField(label="措置年月日（措置済の場合）", required=False, widget=DateInput)
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
