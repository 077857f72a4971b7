from django import forms

from findings.models import AuditReport

from .uploads import max_upload_bytes


class LimitedFileField(forms.FileField):
    """A file field that refuses a file over IMPORT_MAX_UPLOAD_BYTES with the size in the message."""

    def validate(self, value):
        super().validate(value)
        limit = max_upload_bytes()
        if value and value.size > limit:
            raise forms.ValidationError(
                f"ファイルが大きすぎます（{value.size:,} バイト。上限は {limit // 1024 // 1024}MB です）。"
            )


class ReportUploadForm(forms.Form):
    file = LimitedFileField(
        label="ファイル",
        help_text="報告書データのフォルダを zip にしたもの、または Excel テンプレート（.xlsx）。",
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,.xlsx"}),
    )


class TemplateChoiceForm(forms.Form):
    report = forms.ModelChoiceField(
        label="報告書",
        queryset=AuditReport.objects.order_by("-fiscal_year", "code"),
        required=False,
        empty_label="（空のテンプレート）",
        to_field_name="code",
    )
