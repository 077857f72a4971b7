from django import forms

from findings.models import AuditReport

from .uploads import max_upload_bytes


class ReportUploadForm(forms.Form):
    file = forms.FileField(
        label="ファイル",
        help_text="報告書データのフォルダを zip にしたもの、または Excel テンプレート（.xlsx）。",
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,.xlsx"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = max_upload_bytes()
        if upload.size > limit:
            raise forms.ValidationError(
                f"ファイルが大きすぎます（{upload.size:,} バイト。上限は {limit // 1024 // 1024}MB です）。"
            )
        return upload


class TemplateChoiceForm(forms.Form):
    report = forms.ModelChoiceField(
        label="報告書",
        queryset=AuditReport.objects.order_by("-fiscal_year", "code"),
        required=False,
        empty_label="（空のテンプレート）",
        to_field_name="code",
    )
