"""Uploads waiting for confirmation (ImportBatch) and inquiry rounds (照会) to the sections.

An ImportBatch keeps the uploaded bytes, their SHA-256 and what the preview said it would do, so that
confirming applies exactly that (the same file, checked against the same data) and the record of
every import stays afterwards. The bytes live in the database, not on local disk: any app server
can confirm a preview another server made."""

from django.conf import settings
from django.db import models

from auditreg import access

from .choices import BatchKind, BatchState


class ImportBatchQuerySet(models.QuerySet):
    def for_user(self, user):
        """Uploads: READ_ALL_ROLES see every import; a section sees the inquiry answers uploaded for it."""
        return access.scope(self, user)


class InquiryRoundQuerySet(models.QuerySet):
    def for_user(self, user):
        """Rounds: READ_ALL_ROLES see all of them; a section user those that include their section."""
        return access.scope(self, user, section="responses__section_id")


class ImportBatch(models.Model):
    kind = models.CharField("種類", max_length=12, choices=BatchKind.choices)
    state = models.CharField("状態", max_length=12, choices=BatchState.choices)
    filename = models.CharField("ファイル名", max_length=255)
    size = models.PositiveBigIntegerField("サイズ（バイト）")
    sha256 = models.CharField("SHA-256", max_length=64)
    content = models.BinaryField("内容", editable=False)  # emptied by purge_import_files after the retention period
    content_purged_at = models.DateTimeField("内容の削除日時", null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("アップロード日時")
    # what the preview found: fingerprint of the data it was checked against, digest of the change plan
    fingerprint = models.CharField("確認時のデータ指紋", max_length=64, blank=True)
    plan_digest = models.CharField("変更内容の指紋", max_length=64, blank=True)
    summary = models.JSONField("件数", default=dict, blank=True)  # {kind label: {created, updated, unchanged, deleted}}
    changes = models.JSONField("変更内容", default=list, blank=True)  # [[label, key, field, old, new], ...]
    problems = models.JSONField("エラー", default=list, blank=True)  # [[place, field, message], ...]
    warnings = models.JSONField("警告", default=list, blank=True)
    notices = models.JSONField("注記", default=list, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    applied_at = models.DateTimeField("取込日時", null=True, blank=True)
    seconds = models.FloatField("処理時間（秒）", null=True, blank=True)  # a measurement, not money
    round = models.ForeignKey(
        "InquiryRound", on_delete=models.PROTECT, null=True, blank=True, related_name="batches", verbose_name="照会"
    )
    section = models.ForeignKey(
        "auditreg.Section", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="課"
    )

    objects = ImportBatchQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "取込"
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self):
        return f"取込 {self.pk} {self.filename}"

    @property
    def counts(self) -> dict:
        total = {"created": 0, "updated": 0, "unchanged": 0, "deleted": 0}
        for stats in self.summary.values():
            for key in total:
                total[key] += stats.get(key, 0)
        return total


class InquiryRound(models.Model):
    """A 照会: the audit office asks sections to report on chosen measures by a date."""

    title = models.CharField("件名", max_length=200)
    reply_by = models.DateField("回答期限")
    note = models.TextField("依頼文", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("作成日時")
    closed_at = models.DateTimeField("締切日時", null=True, blank=True)

    objects = InquiryRoundQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "照会"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.title


class InquiryItem(models.Model):
    """One measure (finding × section) included in a round."""

    round = models.ForeignKey(InquiryRound, on_delete=models.CASCADE, related_name="items")
    measure = models.ForeignKey("findings.Measure", on_delete=models.PROTECT, related_name="inquiry_items")

    class Meta:
        verbose_name = verbose_name_plural = "照会対象"
        constraints = [models.UniqueConstraint(fields=["round", "measure"], name="inquiry_item_once")]

    def __str__(self):
        return f"{self.round} / {self.measure}"


class InquiryResponse(models.Model):
    """One section's progress in a round: when it downloaded its workbook and when its answer landed."""

    round = models.ForeignKey(InquiryRound, on_delete=models.CASCADE, related_name="responses")
    section = models.ForeignKey("auditreg.Section", on_delete=models.PROTECT, related_name="+", verbose_name="課")
    downloaded_at = models.DateTimeField("ダウンロード日時", null=True, blank=True)
    downloaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField("回答日時", null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "照会の回答状況"
        constraints = [models.UniqueConstraint(fields=["round", "section"], name="inquiry_response_once")]

    def __str__(self):
        return f"{self.round} / {self.section}"
