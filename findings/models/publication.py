"""Published status reports (措置状況の公表) and their files."""

from django.core.files.storage import storages
from django.db import models
from django.db.models import Q

from .report import AuditReport


class Publication(models.Model):
    """A frozen, numbered 措置状況 publication (公表). Its content and files never change after it is
    made: the snapshot holds every row and figure, the files are stored with their SHA-256."""

    number = models.PositiveIntegerField("公表番号", unique=True)
    published_on = models.DateField("公表日")
    as_of = models.DateField("時点")
    title = models.CharField("表題", max_length=300)
    per = models.CharField("行の単位", max_length=10)
    reports = models.ManyToManyField(AuditReport, related_name="publications", verbose_name="報告書")
    previous = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="前回の公表"
    )
    snapshot = models.JSONField("内容")
    row_order = models.CharField("並び順", max_length=20, default="organisation")  # status_report.ORDERS
    # the 前文 printed above the table (地方自治法第252条の38第6項): kept as published
    with_preamble = models.BooleanField("前文あり", default=False)
    preamble_legal_basis = models.CharField("前文：根拠法令", max_length=200, blank=True)
    preamble_notifier = models.CharField("前文：通知者", max_length=200, blank=True)
    preamble_notified_on = models.DateField("前文：通知日", null=True, blank=True)
    preamble_commissioners = models.JSONField("前文：監査委員", default=list, blank=True)
    created_by = models.ForeignKey("auditreg.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("作成日時")

    class Meta:
        verbose_name = verbose_name_plural = "措置状況の公表"
        ordering = ["-number"]
        constraints = [models.CheckConstraint(condition=Q(number__gte=1), name="publication_number_positive")]

    def __str__(self):
        return f"第{self.number}号 {self.title}"


def publication_storage():

    return storages["publications"]


def publication_upload_to(instance, filename):
    return f"publications/{instance.publication.number}/{filename}"


class PublicationFile(models.Model):
    publication = models.ForeignKey(Publication, on_delete=models.PROTECT, related_name="files")
    format = models.CharField("形式", max_length=10)
    file = models.FileField(upload_to=publication_upload_to, storage=publication_storage, max_length=300)
    size = models.PositiveBigIntegerField("サイズ")
    sha256 = models.CharField("SHA-256", max_length=64)

    class Meta:
        verbose_name = verbose_name_plural = "公表ファイル"
        constraints = [models.UniqueConstraint(fields=["publication", "format"], name="publication_file_unique")]
