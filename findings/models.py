"""The audit report as published and its findings (指摘・意見), verbatim."""

from django.db import models
from django.db.models import Q

from auditreg.search import search_key

from .choices import Area, FindingKind, SubjectKind


class AuditReport(models.Model):
    """One published audit report (e.g. 令和6年度包括外部監査)."""

    code = models.SlugField("識別子", max_length=60, unique=True, allow_unicode=True)
    kind = models.CharField("監査の種類", max_length=40)
    fiscal_year = models.PositiveSmallIntegerField("監査実施年度")
    target_fiscal_year = models.PositiveSmallIntegerField("対象年度", null=True, blank=True)
    theme = models.CharField("特定の事件（テーマ）", max_length=300)
    auditor = models.CharField("監査人", max_length=100, blank=True)
    auditor_title = models.CharField("監査人の資格", max_length=100, blank=True)
    assistants = models.JSONField("補助者", default=list, blank=True)
    audit_period_start = models.DateField("監査実施期間（開始）", null=True, blank=True)
    audit_period_end = models.DateField("監査実施期間（終了）", null=True, blank=True)
    submitted_on = models.DateField("報告書提出日", null=True, blank=True)
    published_on = models.DateField("公表日", null=True, blank=True)
    gazette_number = models.CharField("公報番号", max_length=60, blank=True)
    publication_number = models.CharField("監査公表番号", max_length=60, blank=True)
    legal_basis = models.TextField("根拠法令", blank=True)
    source = models.CharField("出典", max_length=300, blank=True)
    # Counts the report states of itself ({"指摘": 3, "意見": 30, "systems": 162, …}), checked on import.
    stated_counts = models.JSONField("報告書記載の件数", default=dict, blank=True)
    earlier_reports = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="later_reports", verbose_name="言及する過年度の監査"
    )

    class Meta:
        verbose_name = verbose_name_plural = "監査報告書"
        ordering = ["-fiscal_year", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(fiscal_year__gte=1989), name="report_fiscal_year_heisei_or_later"),
            models.CheckConstraint(
                condition=Q(audit_period_end__isnull=True)
                | Q(audit_period_start__isnull=True)
                | Q(audit_period_end__gte=models.F("audit_period_start")),
                name="report_audit_period_order",
            ),
        ]

    def __str__(self):
        return self.theme


class FindingGroup(models.Model):
    """The heading a finding is listed under in 第2 (e.g. 金沢 MaaS 推進事業に関するもの)."""

    report = models.ForeignKey(AuditReport, on_delete=models.CASCADE, related_name="groups")
    area = models.CharField("分野", max_length=20, choices=Area.choices)
    order = models.PositiveIntegerField("表示順")
    title = models.CharField("見出し", max_length=200)

    class Meta:
        verbose_name = verbose_name_plural = "指摘・意見の区分見出し"
        ordering = ["report", "order"]
        constraints = [models.UniqueConstraint(fields=["report", "title"], name="group_unique_title")]

    def __str__(self):
        return self.title


class FindingQuerySet(models.QuerySet):
    def search(self, text: str):
        """Every whitespace-separated term must occur in the NFKC-folded search key."""
        qs = self
        for term in search_key(text).split():
            qs = qs.filter(search_text__contains=term)
        return qs


class Finding(models.Model):
    report = models.ForeignKey(AuditReport, on_delete=models.PROTECT, related_name="findings", verbose_name="報告書")
    code = models.CharField("番号", max_length=20)
    kind = models.CharField("区分", max_length=2, choices=FindingKind.choices)
    number = models.PositiveSmallIntegerField("連番")
    order = models.PositiveSmallIntegerField("掲載順")  # position in the report's 第2 list
    area = models.CharField("分野", max_length=20, choices=Area.choices)
    group = models.ForeignKey(
        FindingGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="findings", verbose_name="見出し"
    )
    title = models.CharField("表題（一覧）", max_length=300)
    body_title = models.CharField("表題（本文）", max_length=300, blank=True)
    page = models.PositiveSmallIntegerField("報告書頁", null=True, blank=True)
    detected = models.TextField("① 検出事項", blank=True)
    problem = models.TextField("② 問題点", blank=True)
    recommendation = models.TextField("③ 指摘・意見", blank=True)
    recorded_measure = models.TextField("措置の内容及び現在の状況（報告書記載）", blank=True)
    source_line = models.PositiveIntegerField("原文行", null=True, blank=True)
    # NFKC-folded, lower-cased copy of the titles and texts; the stored text stays verbatim.
    search_text = models.TextField(editable=False, blank=True)

    objects = FindingQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "指摘・意見"
        ordering = ["report", "order"]
        constraints = [
            models.UniqueConstraint(fields=["report", "code"], name="finding_unique_code"),
            models.UniqueConstraint(fields=["report", "kind", "number"], name="finding_unique_number"),
            models.CheckConstraint(condition=Q(kind__in=FindingKind.values), name="finding_kind_valid"),
            models.CheckConstraint(condition=Q(area__in=Area.values), name="finding_area_valid"),
            models.CheckConstraint(condition=Q(number__gte=1), name="finding_number_positive"),
        ]
        indexes = [models.Index(fields=["report", "area"])]

    def __str__(self):
        return f"{self.code} {self.title}"

    def build_search_text(self) -> str:
        parts = [
            self.code,
            self.title,
            self.body_title,
            self.detected,
            self.problem,
            self.recommendation,
            self.recorded_measure,
        ]
        return search_key("\n".join(p for p in parts if p))

    @property
    def display_body_title(self):
        return self.body_title or self.title


class FindingSubject(models.Model):
    """What a finding is raised against: a DX project, an information system, or general matters."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="subjects")
    order = models.PositiveSmallIntegerField("順")
    kind = models.CharField("対象の種類", max_length=10, choices=SubjectKind.choices)
    project = models.ForeignKey(
        "budgets.DxProject", on_delete=models.PROTECT, null=True, blank=True, related_name="finding_subjects"
    )
    system = models.ForeignKey(
        "systems.InformationSystem", on_delete=models.PROTECT, null=True, blank=True, related_name="finding_subjects"
    )
    note = models.TextField("注記", blank=True)
    detected = models.TextField("① 検出事項（この対象）", blank=True)
    problem = models.TextField("② 問題点（この対象）", blank=True)
    source_line = models.PositiveIntegerField("原文行", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "指摘・意見の対象"
        ordering = ["finding", "order"]
        constraints = [
            models.UniqueConstraint(fields=["finding", "order"], name="subject_unique_order"),
            models.CheckConstraint(
                condition=(
                    Q(kind=SubjectKind.PROJECT, project__isnull=False, system__isnull=True)
                    | Q(kind=SubjectKind.SYSTEM, system__isnull=False, project__isnull=True)
                    | Q(kind=SubjectKind.GENERAL, system__isnull=True, project__isnull=True)
                ),
                name="subject_kind_matches_target",
            ),
        ]

    def __str__(self):
        if self.project_id:
            return self.project.name
        if self.system_id:
            return self.system.name
        return self.get_kind_display()


class FindingSection(models.Model):
    """A responsible section (所管課) as named by the report itself."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="report_sections")
    section = models.ForeignKey("auditreg.Section", on_delete=models.PROTECT, related_name="report_findings")

    class Meta:
        verbose_name = verbose_name_plural = "報告書記載の所管課"
        constraints = [models.UniqueConstraint(fields=["finding", "section"], name="finding_section_unique")]


class StatedTotal(models.Model):
    """A total row as printed in one of the report's tables, kept to check row sums against."""

    report = models.ForeignKey(AuditReport, on_delete=models.CASCADE, related_name="stated_totals")
    table = models.CharField("表", max_length=60)
    label = models.CharField("行", max_length=100)
    column = models.CharField("列", max_length=60)
    value = models.BigIntegerField("値", null=True, blank=True)
    unit = models.CharField("単位", max_length=20)
    source_line = models.PositiveIntegerField("原文行", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "報告書記載の合計"
        ordering = ["report", "table", "label", "column"]
        constraints = [
            models.UniqueConstraint(fields=["report", "table", "label", "column"], name="stated_total_unique")
        ]


class TextRepair(models.Model):
    """One repair of extraction damage made in the fixtures (what, where, why)."""

    report = models.ForeignKey(AuditReport, on_delete=models.CASCADE, related_name="text_repairs")
    order = models.PositiveIntegerField("順")
    file = models.CharField("ファイル", max_length=100)
    record = models.CharField("レコード", max_length=200)
    field = models.CharField("項目", max_length=100, blank=True)
    source_line = models.CharField("原文行", max_length=40, blank=True)
    original = models.TextField("原文（抽出テキスト）", blank=True)
    repaired = models.TextField("修復後", blank=True)
    why = models.TextField("理由")

    class Meta:
        verbose_name = verbose_name_plural = "抽出テキストの修復記録"
        ordering = ["report", "order"]
        constraints = [models.UniqueConstraint(fields=["report", "order"], name="repair_unique_order")]
