from django.db import models


class JobKind(models.TextChoices):
    EXPORT = "export", "措置状況の書き出し"
    PUBLICATION = "publication", "措置状況の公表"


class JobState(models.TextChoices):
    QUEUED = "queued", "待機中"
    RUNNING = "running", "作成中"
    DONE = "done", "完了"
    FAILED = "failed", "失敗"


FINISHED = (JobState.DONE, JobState.FAILED)
