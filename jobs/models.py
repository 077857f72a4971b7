"""A piece of work run off the request by the worker (`manage.py db_worker`): a large 措置状況 download or
the freezing of a publication. django-tasks keeps its own queue rows; this row is what the user sees:
who asked, what for, the state, a Japanese error message, and the result."""

from django.core.files.storage import storages
from django.db import models

from .choices import JobKind, JobState


def result_storage():

    return storages["publications"]  # beside the publication files: outside any URL-served folder


def result_upload_to(instance, filename):
    return f"exports/{instance.pk}/{filename}"


class Job(models.Model):
    kind = models.CharField("種類", max_length=20, choices=JobKind.choices)
    state = models.CharField("状態", max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    title = models.CharField("内容", max_length=300)
    params = models.JSONField("条件", default=dict)  # the status page's query, the format, the publication's number…
    requested_by = models.ForeignKey("auditreg.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("依頼日時")
    started_at = models.DateTimeField("開始日時", null=True, blank=True)
    finished_at = models.DateTimeField("終了日時", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("実行回数", default=0)
    task_id = models.CharField("タスク ID", max_length=64, blank=True)
    error = models.TextField("エラー", blank=True)  # shown to the user: Japanese, never a traceback
    result = models.FileField("結果", upload_to=result_upload_to, storage=result_storage, max_length=300, blank=True)
    result_name = models.CharField("ファイル名", max_length=200, blank=True)
    result_size = models.PositiveBigIntegerField("サイズ", null=True, blank=True)
    publication = models.ForeignKey(
        "findings.Publication", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    announced = models.BooleanField("完了を通知済み", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "バックグラウンド処理"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["requested_by", "-created_at"], name="job_requester_recent")]

    def __str__(self):
        return f"{self.get_kind_display()}（{self.title}）"
