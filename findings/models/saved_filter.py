"""Named filters of the findings list, saved per user."""

from django.db import models
from django.db.models import Q


class SavedFilter(models.Model):
    """A named filter of the findings list (the list's query string), saved by one user. At most one
    of a user's filters is their default list view; an audit-office user may share one with the office
    (findings.saved_filters decides who sees what)."""

    owner = models.ForeignKey(
        "auditreg.User", on_delete=models.CASCADE, related_name="saved_filters", verbose_name="作成者"
    )
    name = models.CharField("名前", max_length=60)
    query = models.CharField("条件", max_length=1000, blank=True)  # validated by findings.saved_filters
    is_default = models.BooleanField("既定の一覧", default=False)
    shared = models.BooleanField("事務局内で共有", default=False)
    created_at = models.DateTimeField("作成日時")
    updated_at = models.DateTimeField("更新日時")

    class Meta:
        verbose_name = verbose_name_plural = "保存した絞り込み"
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="saved_filter_unique_name"),
            models.UniqueConstraint(
                fields=["owner"], condition=Q(is_default=True), name="saved_filter_one_default_per_owner"
            ),
        ]

    def __str__(self):
        return self.name
