"""Reorganisation hand-overs (機構改革): measures moved from a section to its successors."""

from django.db import models

from auditreg.wareki import format_date

from .workflow import Measure


class OrganisationChange(models.Model):
    """A reorganisation (機構改革) hand-over: the measures of an abolished or split section move to its
    successors on `effective_on`. Prepared in advance, previewed, then applied (findings.reorganisation);
    one OrganisationMove per measure records where it went, or why it could not move."""

    PREPARED = "prepared"
    APPLIED = "applied"
    CANCELLED = "cancelled"
    STATES = [(PREPARED, "予定"), (APPLIED, "実施済"), (CANCELLED, "取消")]

    effective_on = models.DateField("実施日")
    from_section = models.ForeignKey(
        "auditreg.Section", on_delete=models.PROTECT, related_name="+", verbose_name="廃止・分割される課"
    )
    to_sections = models.ManyToManyField("auditreg.Section", related_name="+", verbose_name="承継する課")
    # measure id (str) -> successor section id, where the office chose one (a split); others go to the first
    choices = models.JSONField("措置ごとの承継先", default=dict, blank=True)
    abolish = models.BooleanField("元の課を実施日で廃止する", default=True)
    note = models.TextField("備考", blank=True)
    state = models.CharField("状態", max_length=10, choices=STATES, default=PREPARED)
    created_by = models.ForeignKey("auditreg.User", on_delete=models.PROTECT, related_name="+", verbose_name="登録者")
    created_at = models.DateTimeField("登録日時")
    applied_by = models.ForeignKey(
        "auditreg.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="実施者"
    )
    applied_at = models.DateTimeField("実施日時", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "機構改革（措置の引継ぎ）"
        ordering = ["-effective_on", "-pk"]
        indexes = [models.Index(fields=["state", "effective_on"], name="org_change_due_idx")]

    def __str__(self):

        return f"{format_date(self.effective_on)} {self.from_section} の引継ぎ"


class OrganisationMove(models.Model):
    """One measure of an applied OrganisationChange: moved from → to, or refused with the reason."""

    change = models.ForeignKey(OrganisationChange, on_delete=models.PROTECT, related_name="moves")
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="moves")
    from_section = models.ForeignKey("auditreg.Section", on_delete=models.PROTECT, related_name="+")
    to_section = models.ForeignKey("auditreg.Section", on_delete=models.PROTECT, null=True, related_name="+")
    refused = models.CharField("移せなかった理由", max_length=300, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "機構改革で移した措置"
        ordering = ["change", "pk"]
