"""Forms of the inquiry rounds (照会)."""

from django import forms
from django.db.models import Exists, OuterRef

from auditreg.models import Section
from auditreg.wareki import format_fiscal_year
from auditreg.widgets import CheckboxPicker, FastSelectMultiple
from findings.forms import BoundedDateField, picker_groups
from findings.models import Finding, Measure

from .bundle_forms import LimitedFileField


class RoundForm(forms.Form):
    title = forms.CharField(label="件名", max_length=200, help_text="例: 令和7年度 第1回 措置状況照会")
    reply_by = BoundedDateField(label="回答期限")
    note = forms.CharField(
        label="依頼文（任意）",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="回答様式の上部にも表示されます。",
    )
    findings = forms.TypedMultipleChoiceField(
        label="指摘・意見",
        coerce=int,
        # checkboxes under a heading per report, searchable, select all per report (no Ctrl+click listbox)
        widget=CheckboxPicker(search="番号・表題・報告書で絞り込む"),
        help_text="所管課が割り当て済みのものだけが表示されます。報告書の見出しのチェックで、その報告書の指摘・意見をまとめて選べます。",
    )
    sections = forms.TypedMultipleChoiceField(
        label="所管課",
        coerce=int,
        # drawn by the section picker (grouped by 局, searchable, select all per 局): picker_groups
        widget=FastSelectMultiple,
        help_text="選んだ指摘・意見のうち、その課に割り当てられている措置が照会の対象になります。局の見出しのチェックで、その局の課をまとめて選べます。",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        assigned = Exists(Measure.objects.filter(finding_id=OuterRef("pk")))
        findings = (
            Finding.objects.filter(assigned)
            .select_related("report")
            .order_by("-report__fiscal_year", "report__code", "order")
            .only("pk", "code", "title", "report", "report__fiscal_year", "report__theme", "report__code")
        )
        self.fields["findings"].choices = _grouped(
            findings, lambda f: f"{format_fiscal_year(f.report.fiscal_year)} {f.report.theme[:40]}", _finding_label
        )
        with_measures = Exists(Measure.objects.filter(section_id=OuterRef("pk")))
        sections = Section.objects.filter(with_measures).select_related("bureau").order_by("bureau__order", "order")
        self._sections = list(sections)
        self.fields["sections"].choices = [(s.pk, s.name) for s in self._sections]

    def picker_groups(self):
        """The sections with measures for the section picker, grouped by 局 (no per-section date here)."""
        chosen = {str(v) for v in self.data.getlist("sections")} if self.is_bound else set()
        return picker_groups(self._sections, chosen)

    def clean_findings(self):
        return list(Finding.objects.filter(pk__in=self.cleaned_data["findings"]))

    def clean_sections(self):
        return list(Section.objects.filter(pk__in=self.cleaned_data["sections"]))


def _finding_label(finding) -> str:
    title = finding.title if len(finding.title) <= 50 else finding.title[:49] + "…"
    return f"{finding.code} {title}"


def _grouped(objects, group_of, label_of) -> list:
    groups: dict[str, list] = {}
    for obj in objects:
        groups.setdefault(group_of(obj), []).append((obj.pk, label_of(obj)))
    return list(groups.items())


class AnswerUploadForm(forms.Form):
    file = LimitedFileField(
        label="記入した回答様式（Excel .xlsx）",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
        help_text="この画面からダウンロードした様式に記入したもの。取り込む前に内容を確認する画面が表示されます。",
    )
