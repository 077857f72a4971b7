from django.db import models


class BatchKind(models.TextChoices):
    BUNDLE = "bundle", "報告書データ（zip）"
    WORKBOOK = "workbook", "報告書データ（Excel）"
    INQUIRY = "inquiry", "照会回答（Excel）"


class BatchState(models.TextChoices):
    """An upload is checked and previewed; only a previewed batch can be applied, once."""

    INVALID = "invalid", "エラーあり（取込不可）"
    PREVIEWED = "previewed", "確認待ち"
    APPLIED = "applied", "取込済"
    REFUSED = "refused", "取込拒否（確認後にデータが変更された）"
    DISCARDED = "discarded", "取消"


class ResponseState(models.TextChoices):
    """Where one section stands in an inquiry round (derived, never stored)."""

    NOT_OPENED = "not_opened", "未開封"
    DOWNLOADED = "downloaded", "ダウンロード済"
    ANSWERED = "answered", "回答済（課長承認待ち）"
    APPROVED = "approved", "課長承認済"
    OVERDUE = "overdue", "期限超過"
