from django.db import models


class FindingKind(models.TextChoices):
    SHITEKI = "指摘", "指摘"
    IKEN = "意見", "意見"


class Area(models.TextChoices):
    DX = "DX", "DX"
    SYSTEMS = "情報システム", "情報システム"


class SubjectKind(models.TextChoices):
    PROJECT = "project", "DX事業"
    SYSTEM = "system", "情報システム"
    GENERAL = "general", "全般事項"
