from django.db import models


class Basis(models.TextChoices):
    BUDGET = "budget", "予算額"
    ACTUAL = "actual", "決算額"
