"""Shared models: the people who use auditreg and the city's organisation master."""

import datetime
import time

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce

from .change_labels import readable
from .choices import ACTION_LABELS, DeputyTitle, Role
from .validators import CONTROL_CHARACTERS_SQL, CONTROL_MESSAGE, validate_no_control_characters

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
    """The top level of the organisation: 局, an executive body (教育委員会, 水道局 …) or a group of outside
    bodies (外郭団体, 指定管理者). A renamed or merged bureau is a new row; the old one gets valid_to."""

    name = models.CharField("名称", max_length=100, validators=[validate_no_control_characters])
    kind = models.CharField("組織の種類", max_length=20, blank=True, default="")  # 局, 委員会, 外郭団体 … (free text)
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
            models.CheckConstraint(
                condition=~Q(name__regex=CONTROL_CHARACTERS_SQL),
                name="bureau_name_without_control_characters",
                violation_error_message=CONTROL_MESSAGE,
            ),
        ]

    def __str__(self):
        return self.name


class Section(models.Model):
    """Any unit under a bureau, at any depth: 部, 課・室・所, 区役所, schools, an outside body …, with the
    period it existed under that name. `parent` is the unit above it (None: directly under the bureau).
    `order` is the unit's place in the whole bureau, in the master's order (a 部 before its 課), so that
    every list sorts by (bureau.order, order) whatever the depth."""

    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="sections", verbose_name="局")
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name="上位の組織"
    )
    name = models.CharField("名称", max_length=100, validators=[validate_no_control_characters])
    kind = models.CharField("組織の種類", max_length=20, blank=True, default="")  # 部, 課, 室, 所, 区役所, 外郭団体 …
    order = models.PositiveIntegerField("表示順")
    valid_from = models.DateField("適用開始日", null=True, blank=True)
    valid_to = models.DateField("適用終了日", null=True, blank=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "課"
        ordering = ["bureau__order", "order", "name"]
        constraints = [
            # unique among the units under the same parent (or directly under the bureau), not in the
            # whole bureau: two 部 may each have a 総務課
            models.UniqueConstraint(
                "bureau",
                Coalesce("parent", models.Value(0), output_field=models.IntegerField()),
                "name",
                Coalesce("valid_from", models.Value(BEGINNING_OF_RECORDS), output_field=models.DateField()),
                name="section_unique_name_per_parent_period",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gt=models.F("valid_from")),
                name="section_valid_period",
            ),
            models.CheckConstraint(
                condition=~Q(name__regex=CONTROL_CHARACTERS_SQL),
                name="section_name_without_control_characters",
                violation_error_message=CONTROL_MESSAGE,
            ),
        ]

    def __str__(self):
        return f"{self.bureau.name} {self.name}"


class AuditregUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        # a superuser administers the register: the admin role, which needs no section
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A named person. Shared accounts are not allowed: every account carries a real name."""

    objects = AuditregUserManager()

    role = models.CharField("役割", max_length=20, choices=Role.choices, default=Role.SECTION_STAFF)
    section = models.ForeignKey(
        Section, on_delete=models.PROTECT, null=True, blank=True, related_name="users", verbose_name="所属課"
    )
    bureau = models.ForeignKey(
        Bureau,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approvers",
        verbose_name="代決する局",
        help_text="役割が「局の代決者」のときだけ選びます（その局の課の下書きを承認・課内差戻しできます）。",
    )
    # Set for accounts that sign in through the directory (auditreg.directory); blank for local accounts.
    directory_dn = models.CharField("ディレクトリ上の位置（DN）", max_length=500, blank=True, editable=False)

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
            # a 局の代決者 belongs to a 局, not to a section (and only they have a 局)
            models.CheckConstraint(
                condition=(Q(role=Role.BUREAU_APPROVER) & Q(bureau__isnull=False) & Q(section__isnull=True))
                | (~Q(role=Role.BUREAU_APPROVER) & Q(bureau__isnull=True)),
                name="user_bureau_approver_has_bureau",
                violation_error_message="「局の代決者」には代決する局を選び、所属課は空にします（他の役割では局は空にします）。",
            ),
        ]

    @property
    def display_name(self):
        full = f"{self.last_name} {self.first_name}".strip()
        return full or self.username

    @property
    def approver_title(self) -> str:
        """How the person signs an approval: 課長, 課長補佐, 代理, 局の代決者 (or "" for no approver)."""
        if self.role == Role.SECTION_HEAD:
            return "課長"
        if self.role == Role.BUREAU_APPROVER:
            return "局の代決者"
        return self.deputy_title


class CitySettings(models.Model):
    """What differs from city to city and is not a report's data: one row, edited in the admin.
    Read through `current()` (cached for a minute per process, so a change shows within a minute)."""

    FY2019_REIWA = "reiwa"
    FY2019_HEISEI = "heisei"

    city_name = models.CharField("市の名称", max_length=60, blank=True)
    system_name = models.CharField("システムの名称", max_length=100, default="監査結果 措置管理（auditreg）")
    status_title_pattern = models.CharField(
        "措置状況の表題",
        max_length=200,
        default="{fiscal_year}{kind}の結果に対する措置状況（{as_of}現在）",
        help_text="{fiscal_year}（監査の年度）・{kind}（監査の種類）・{theme}・{as_of}（時点）・{city} が使えます。",
    )
    fy2019_label = models.CharField(
        "2019年度の表記",
        max_length=10,
        choices=[(FY2019_REIWA, "令和元年度"), (FY2019_HEISEI, "平成31年度")],
        default=FY2019_REIWA,
    )
    source_text_name = models.CharField(
        "原文行の出典",
        max_length=200,
        blank=True,
        help_text="取込データの source_line が指す報告書テキストの名前（Excel 様式の説明に表示します）。",
    )

    class Meta:
        verbose_name = verbose_name_plural = "市の設定"
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="city_settings_singleton")]

    def __str__(self):
        return self.city_name or "市の設定"

    @classmethod
    def current(cls) -> "CitySettings":
        """The settings row (an unsaved default before the admin saves one); cached per process."""

        ttl = getattr(settings, "CITY_SETTINGS_TTL_SECONDS", SETTINGS_TTL_SECONDS)
        cached = _settings_cache.get("value")
        if cached is not None and time.monotonic() - _settings_cache["at"] < ttl:
            return cached
        value = cls.objects.filter(pk=1).first() or cls(pk=1)
        _settings_cache.update(value=value, at=time.monotonic())
        return value

    @classmethod
    def forget(cls) -> None:
        _settings_cache.clear()


SETTINGS_TTL_SECONDS = 60
_settings_cache: dict = {}


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

        return ACTION_LABELS.get(self.action, self.action)

    @property
    def readable_changes(self) -> list[tuple[str, str, str]]:
        """(項目, 変更前, 変更後) in Japanese: labels, 和暦, KB/MB (auditreg.change_labels.readable)."""
        return readable(self.changes)
