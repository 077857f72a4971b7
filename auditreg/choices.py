from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "システム管理者"
    AUDITOR = "auditor", "監査事務局"
    SECTION_STAFF = "section_staff", "所管課担当"
    SECTION_HEAD = "section_head", "所管課長"
