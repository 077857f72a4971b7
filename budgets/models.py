"""The DX budget (令和5年度) by 分野, 大項目 and 小項目, and the audited DX projects."""

from django.db import models
from django.db.models import Q

from auditreg import access

from .choices import Basis


class DxField(models.Model):
    """One of the 5 分野 of the 市 DX アクションプラン, with its printed totals (千円)."""

    report = models.ForeignKey("findings.AuditReport", on_delete=models.PROTECT, related_name="dx_fields")
    order = models.PositiveSmallIntegerField("順")
    name = models.CharField("分野", max_length=20)
    budget_thousand_yen = models.BigIntegerField("予算額（千円）", null=True, blank=True)
    actual_thousand_yen = models.BigIntegerField("決算額（千円）", null=True, blank=True)
    source_line = models.PositiveIntegerField("原文行", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "DX分野"
        ordering = ["report", "order"]
        constraints = [
            models.UniqueConstraint(fields=["report", "name"], name="dx_field_unique_name"),
            models.UniqueConstraint(fields=["report", "order"], name="dx_field_unique_order"),
        ]

    def __str__(self):
        return self.name


class DxFieldFunding(models.Model):
    """財源 of a 分野: 一般財源等 / 国 / 県, for the budget or the actual (千円)."""

    field = models.ForeignKey(DxField, on_delete=models.CASCADE, related_name="fundings")
    basis = models.CharField("区分", max_length=10, choices=Basis.choices)
    total_thousand_yen = models.BigIntegerField("合計（千円）", null=True, blank=True)
    general_thousand_yen = models.BigIntegerField("一般財源等（千円）", null=True, blank=True)
    national_thousand_yen = models.BigIntegerField("国（千円）", null=True, blank=True)
    prefectural_thousand_yen = models.BigIntegerField("県（千円）", null=True, blank=True)
    source_line = models.PositiveIntegerField("原文行", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "DX分野の財源"
        ordering = ["field__order", "basis"]
        constraints = [
            models.UniqueConstraint(fields=["field", "basis"], name="dx_field_funding_unique"),
            models.CheckConstraint(condition=Q(basis__in=Basis.values), name="dx_field_funding_basis"),
        ]


class DxLine(models.Model):
    """A 具体的な取組 line: a 大項目 (minor_no is null) or one of its 小項目."""

    field = models.ForeignKey(DxField, on_delete=models.PROTECT, related_name="lines")
    order = models.PositiveSmallIntegerField("順")
    major_no = models.PositiveSmallIntegerField("大項目番号")
    minor_no = models.PositiveSmallIntegerField("小項目番号", null=True, blank=True)
    title = models.CharField("取組", max_length=200)
    budget_thousand_yen = models.BigIntegerField("予算額（千円）", null=True, blank=True)
    actual_thousand_yen = models.BigIntegerField("決算額（千円）", null=True, blank=True)
    reprint = models.BooleanField("再掲", default=False)
    source_line = models.PositiveIntegerField("原文行", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "DX予算の取組"
        ordering = ["field__order", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["field", "major_no"], condition=Q(minor_no__isnull=True), name="dx_line_unique_major"
            ),
            models.UniqueConstraint(
                fields=["field", "major_no", "minor_no"],
                condition=Q(minor_no__isnull=False),
                name="dx_line_unique_minor",
            ),
            models.UniqueConstraint(fields=["field", "order"], name="dx_line_unique_order"),
            models.CheckConstraint(condition=Q(major_no__gte=1), name="dx_line_major_positive"),
            models.CheckConstraint(
                condition=Q(minor_no__isnull=True) | Q(minor_no__gte=1), name="dx_line_minor_positive"
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_major(self):
        return self.minor_no is None

    @property
    def variance_thousand_yen(self):
        """差額 a-b, derived; a printed `-` on either side counts as zero, as the report does."""
        if self.budget_thousand_yen is None and self.actual_thousand_yen is None:
            return None
        return (self.budget_thousand_yen or 0) - (self.actual_thousand_yen or 0)


class DxProjectQuerySet(models.QuerySet):
    def for_user(self, user):
        """The report's data: read by every active user."""
        return access.scope(self, user, everyone=True)


class DxProject(models.Model):
    """An audited DX project (事業) of 第5."""

    report = models.ForeignKey("findings.AuditReport", on_delete=models.PROTECT, related_name="dx_projects")
    order = models.PositiveSmallIntegerField("順")
    name = models.CharField("事業名", max_length=200)
    section = models.ForeignKey(
        "auditreg.Section", on_delete=models.PROTECT, related_name="dx_projects", verbose_name="所管課"
    )
    line = models.ForeignKey(
        DxLine,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
        verbose_name="市DXプランにおける分類",
    )
    content = models.TextField("内容", blank=True)
    results = models.TextField("成果", blank=True)
    page = models.PositiveSmallIntegerField("報告書頁", null=True, blank=True)
    source_line = models.PositiveIntegerField("原文行", null=True, blank=True)
    extra = models.JSONField("その他の記載", default=list, blank=True)  # [[label, value], …] in printed order

    objects = DxProjectQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "DX事業"
        ordering = ["report", "order"]
        constraints = [models.UniqueConstraint(fields=["report", "name"], name="dx_project_unique_name")]

    def __str__(self):
        return self.name


class ProjectFunding(models.Model):
    """令和5年度における予算額・決算額とその財源 of a project (千円)."""

    project = models.ForeignKey(DxProject, on_delete=models.CASCADE, related_name="fundings")
    basis = models.CharField("区分", max_length=10, choices=Basis.choices)
    total_thousand_yen = models.BigIntegerField("合計（千円）", null=True, blank=True)
    national_thousand_yen = models.BigIntegerField("国（千円）", null=True, blank=True)
    prefectural_thousand_yen = models.BigIntegerField("県（千円）", null=True, blank=True)
    general_thousand_yen = models.BigIntegerField("一般財源等（千円）", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "DX事業の財源"
        ordering = ["project", "basis"]
        constraints = [
            models.UniqueConstraint(fields=["project", "basis"], name="project_funding_unique"),
            models.CheckConstraint(condition=Q(basis__in=Basis.values), name="project_funding_basis"),
        ]


class Contract(models.Model):
    """A contract table of an audited project (委託・補助 etc.), values as printed."""

    project = models.ForeignKey(DxProject, on_delete=models.CASCADE, related_name="contracts")
    order = models.PositiveSmallIntegerField("順")
    name = models.CharField("名称", max_length=300)
    method = models.CharField("契約の締結方法", max_length=100, blank=True)
    contractor = models.CharField("落札者又は契約の受託者", max_length=200, blank=True)
    bidders = models.PositiveSmallIntegerField("入札参加者数", null=True, blank=True)
    bidders_text = models.CharField("入札参加者数（原文）", max_length=100, blank=True)
    price_disclosed_in_advance = models.CharField("予定価格の事前公表", max_length=20, blank=True)
    estimated_price_text = models.CharField("予定価格", max_length=100, blank=True)
    contract_amount_thousand_yen = models.BigIntegerField("契約金額（千円）", null=True, blank=True)
    contract_amount_yen = models.BigIntegerField("契約金額（円）", null=True, blank=True)
    minimum_price_text = models.CharField("最低制限価格", max_length=100, blank=True)
    note = models.TextField("備考", blank=True)
    extra = models.JSONField("その他の記載", default=list, blank=True)  # [[label, value], …] in printed order

    class Meta:
        verbose_name = verbose_name_plural = "契約"
        ordering = ["project", "order"]
        constraints = [
            models.UniqueConstraint(fields=["project", "order"], name="contract_unique_order"),
            models.CheckConstraint(
                condition=Q(contract_amount_thousand_yen__isnull=True) | Q(contract_amount_yen__isnull=True),
                name="contract_amount_one_unit",
            ),
        ]

    def __str__(self):
        return self.name


class CoreCityComparison(models.Model):
    """A cell of the 第3 dashboard comparison with other core cities, verbatim."""

    report = models.ForeignKey("findings.AuditReport", on_delete=models.CASCADE, related_name="core_city_cells")
    table = models.CharField("表", max_length=40)
    order = models.PositiveSmallIntegerField("行順")
    item = models.CharField("項目", max_length=200)
    city = models.CharField("市", max_length=40)
    value = models.CharField("値", max_length=100, blank=True)
    source_line = models.PositiveIntegerField("原文行", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "中核市比較"
        ordering = ["report", "table", "order"]
        constraints = [
            models.UniqueConstraint(fields=["report", "table", "item", "city"], name="core_city_cell_unique")
        ]
