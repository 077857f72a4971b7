"""The city's inventory of information systems and their expenditure, as printed."""

from django.db import models
from django.db.models import Q

from auditreg import access
from auditreg.search import search_key

from .choices import Importance


class InformationSystemQuerySet(models.QuerySet):
    def for_user(self, user):
        """The report's data: read by every active user."""
        return access.scope(self, user, everyone=True)


class InformationSystem(models.Model):
    """One row of the inventory (No. is assigned by the auditor, so it is per report)."""

    report = models.ForeignKey("findings.AuditReport", on_delete=models.PROTECT, related_name="systems")
    number = models.PositiveSmallIntegerField("No.")
    section = models.ForeignKey(
        "auditreg.Section", on_delete=models.PROTECT, related_name="systems", verbose_name="所管課"
    )
    name = models.CharField("システム名称", max_length=200)
    source_line = models.PositiveIntegerField("原文行", null=True, blank=True)
    # Filled in for the systems audited in 第6 only.
    audited = models.BooleanField("監査対象", default=False)
    audited_name = models.CharField("名称（概要表）", max_length=200, blank=True)
    purpose = models.TextField("導入目的", blank=True)
    introduced_fiscal_year = models.PositiveSmallIntegerField("導入年度", null=True, blank=True)
    introduced_text = models.CharField("導入年度（原文）", max_length=40, blank=True)
    network = models.CharField("利用するネットワーク", max_length=200, blank=True)
    cloud = models.BooleanField("クラウド利用", null=True, blank=True)
    cloud_text = models.CharField("クラウド利用（原文）", max_length=20, blank=True)
    importance = models.CharField("重要度", max_length=1, choices=Importance.choices, blank=True)
    page = models.PositiveSmallIntegerField("報告書頁", null=True, blank=True)
    audited_source_line = models.PositiveIntegerField("概要表の原文行", null=True, blank=True)
    # NFKC-folded copy of the names and purpose, for search only (auditreg.search).
    search_text = models.TextField(editable=False, blank=True)

    objects = InformationSystemQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "情報システム"
        ordering = ["report", "number"]
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="system_unique_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="system_number_positive"),
            models.CheckConstraint(condition=Q(importance__in=["", *Importance.values]), name="system_importance"),
        ]

    def __str__(self):
        return f"No.{self.number} {self.name}"

    def build_search_text(self, section_name: str = "") -> str:
        return search_key(
            "\n".join(p for p in (str(self.number), self.name, self.audited_name, self.purpose, section_name) if p)
        )


class SystemBudget(models.Model):
    """年度毎の予算額・決算額 of an audited system, in 千円 as printed in its overview table."""

    system = models.ForeignKey(InformationSystem, on_delete=models.CASCADE, related_name="budgets")
    fiscal_year = models.PositiveSmallIntegerField("年度")
    budget_thousand_yen = models.BigIntegerField("予算額（千円）", null=True, blank=True)
    actual_thousand_yen = models.BigIntegerField("決算額（千円）", null=True, blank=True)
    # Set where a value is empty because the extracted text lost it, not because the report prints `-`.
    note = models.CharField("注記", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "情報システムの年度別予算・決算"
        ordering = ["system", "fiscal_year"]
        constraints = [models.UniqueConstraint(fields=["system", "fiscal_year"], name="system_budget_unique")]


class BureauSystemCount(models.Model):
    """The number of systems the report states for a bureau ("…は以下の N である")."""

    report = models.ForeignKey("findings.AuditReport", on_delete=models.CASCADE, related_name="bureau_system_counts")
    bureau = models.ForeignKey("auditreg.Bureau", on_delete=models.PROTECT, related_name="system_counts")
    stated_count = models.PositiveSmallIntegerField("記載件数")
    source_line = models.PositiveIntegerField("原文行", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "局別システム数（報告書記載）"
        constraints = [models.UniqueConstraint(fields=["report", "bureau"], name="bureau_count_unique")]


class BureauExpenditure(models.Model):
    """IT expenditure by bureau and fiscal year, in 百万円 as printed (第3 (6))."""

    report = models.ForeignKey("findings.AuditReport", on_delete=models.CASCADE, related_name="bureau_expenditures")
    bureau = models.ForeignKey("auditreg.Bureau", on_delete=models.PROTECT, related_name="it_expenditures")
    fiscal_year = models.PositiveSmallIntegerField("年度")
    budget_million_yen = models.BigIntegerField("予算額（百万円）", null=True, blank=True)
    actual_million_yen = models.BigIntegerField("決算額（百万円）", null=True, blank=True)
    source_line = models.PositiveIntegerField("原文行", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "局別情報システム歳出"
        ordering = ["report", "bureau__order", "fiscal_year"]
        constraints = [
            models.UniqueConstraint(fields=["report", "bureau", "fiscal_year"], name="bureau_expenditure_unique")
        ]


class SystemExpenditure(models.Model):
    """IT expenditure by system and fiscal year, in 百万円, from a bureau's table (総務局・市民局)."""

    report = models.ForeignKey("findings.AuditReport", on_delete=models.CASCADE, related_name="system_expenditures")
    table_bureau = models.ForeignKey(
        "auditreg.Bureau", on_delete=models.PROTECT, related_name="+", verbose_name="表の局"
    )
    system = models.ForeignKey(InformationSystem, on_delete=models.PROTECT, related_name="expenditures")
    name_as_printed = models.CharField("名称（表記載）", max_length=200)
    fiscal_year = models.PositiveSmallIntegerField("年度")
    budget_million_yen = models.BigIntegerField("予算額（百万円）", null=True, blank=True)
    actual_million_yen = models.BigIntegerField("決算額（百万円）", null=True, blank=True)
    source_line = models.PositiveIntegerField("原文行", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "システム別情報システム歳出"
        ordering = ["report", "table_bureau__order", "system__number", "fiscal_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "table_bureau", "system", "fiscal_year"], name="system_expenditure_unique"
            )
        ]
