"""Shared models: the people who use auditreg and the city's organisation master."""

import datetime

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce

from .choices import DeputyTitle, Role

# Stand-in for "since before our records" in uniqueness constraints over valid_from (a date, not
# text: PostgreSQL compares COALESCE(date, text) as an error).
BEGINNING_OF_RECORDS = datetime.date(1, 1, 1)


class OrganisationQuerySet(models.QuerySet):
    def current_on(self, day):
        """Units in force on `day` (valid_from <= day < valid_to; open ends allowed)."""
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=day),
            Q(valid_to__isnull=True) | Q(valid_to__gt=day),
        )


class Bureau(models.Model):
    """局・委員会等. A renamed or merged bureau is a new row; the old one gets valid_to."""

    name = models.CharField("名称", max_length=100)
    order = models.PositiveIntegerField("表示順")
    valid_from = models.DateField("適用開始日", null=True, blank=True)
    valid_to = models.DateField("適用終了日", null=True, blank=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "局"
        ordering = ["order", "name"]
        constraints = [
            models.UniqueConstraint(
                "name",
                Coalesce("valid_from", models.Value(BEGINNING_OF_RECORDS), output_field=models.DateField()),
                name="bureau_unique_name_per_period",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gt=models.F("valid_from")),
                name="bureau_valid_period",
            ),
        ]

    def __str__(self):
        return self.name


class Section(models.Model):
    """課・室・所 (and schools) under a bureau, with the period it existed under that name."""

    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="sections", verbose_name="局")
    name = models.CharField("名称", max_length=100)
    order = models.PositiveIntegerField("表示順")
    valid_from = models.DateField("適用開始日", null=True, blank=True)
    valid_to = models.DateField("適用終了日", null=True, blank=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "課"
        ordering = ["bureau__order", "order", "name"]
        constraints = [
            models.UniqueConstraint(
                "bureau",
                "name",
                Coalesce("valid_from", models.Value(BEGINNING_OF_RECORDS), output_field=models.DateField()),
                name="section_unique_name_per_period",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gt=models.F("valid_from")),
                name="section_valid_period",
            ),
        ]

    def __str__(self):
        return f"{self.bureau.name} {self.name}"


class User(AbstractUser):
    """A named person. Shared accounts are not allowed: every account carries a real name."""

    role = models.CharField("役割", max_length=20, choices=Role.choices, default=Role.SECTION_STAFF)
    section = models.ForeignKey(
        Section, on_delete=models.PROTECT, null=True, blank=True, related_name="users", verbose_name="所属課"
    )

    deputy_title = models.CharField(
        "承認の代理",
        max_length=10,
        choices=DeputyTitle.choices,
        default=DeputyTitle.NONE,
        blank=True,
        help_text="所管課担当を課長補佐・代理として承認者にします（自分が作成・編集した報告は承認できません）。",
    )
    must_change_password = models.BooleanField(
        "次回ログイン時にパスワード変更を求める", default=False, help_text="変更するまで他の画面は使えません。"
    )

    REQUIRED_FIELDS = ["last_name", "first_name", "email"]

    class Meta:
        verbose_name = verbose_name_plural = "利用者"
        constraints = [
            # no anonymous or shared accounts: every account names the person who holds it
            models.CheckConstraint(condition=~Q(last_name=""), name="user_has_family_name"),
            models.CheckConstraint(
                condition=~Q(role__in=[Role.SECTION_STAFF, Role.SECTION_HEAD]) | Q(section__isnull=False),
                name="user_section_role_has_section",
            ),
            # a deputy approver is a 担当 of a section (a 課長 approves anyway)
            models.CheckConstraint(
                condition=Q(deputy_title="") | Q(role=Role.SECTION_STAFF), name="user_deputy_is_section_staff"
            ),
        ]

    @property
    def display_name(self):
        full = f"{self.last_name} {self.first_name}".strip()
        return full or self.username

    @property
    def approver_title(self) -> str:
        """How the person signs an approval: 課長, 課長補佐, 代理 (or "" for no approver)."""
        if self.role == Role.SECTION_HEAD:
            return "課長"
        return self.deputy_title


class ChangeLog(models.Model):
    """Who changed what, when: one row per change, kept forever, written by services in the same
    transaction as the change itself. `finding_id` is a plain indexed id (not a foreign key) so that
    this shared app does not depend on the findings app; it lets a finding show its whole history."""

    at = models.DateTimeField("日時", db_index=True)
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="実行者"
    )
    action = models.CharField("操作", max_length=60)
    object_type = models.CharField("対象の種類", max_length=60)
    object_id = models.BigIntegerField("対象ID")
    object_repr = models.CharField("対象", max_length=300)
    finding_id = models.BigIntegerField("指摘・意見ID", null=True, blank=True, db_index=True)
    changes = models.JSONField("変更内容", default=dict, blank=True)  # {field: [before, after]}
    comment = models.TextField("コメント", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "変更履歴"
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"

    @property
    def action_label(self) -> str:
        from .choices import ACTION_LABELS

        return ACTION_LABELS.get(self.action, self.action)

    @property
    def readable_changes(self) -> list[tuple[str, str, str]]:
        """(項目, 変更前, 変更後) in Japanese: labels, 和暦, KB/MB (auditreg.changelog.readable)."""
        from .changelog import readable

        return readable(self.changes)
