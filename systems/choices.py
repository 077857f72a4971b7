from django.db import models


class Importance(models.TextChoices):
    """重要度 of an information asset (市セキュリティ対策基準第10条第3項)."""

    A = "A", "重要度A"
    B = "B", "重要度B"
    C = "C", "重要度C"
