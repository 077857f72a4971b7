"""The follow-up of each finding: measures (措置) per section, their reports and evidence."""

import uuid

from django.core.files.storage import storages
from django.db import models
from django.db.models import Q

from auditreg import access
from auditreg.wareki import format_date

from ..choices import ReportState
from .report import Finding


class MeasureStatus(models.Model):
    """措置状況. Codes are fixed; labels are data a city can rename (e.g. 措置済 → 改善済み)."""

    code = models.SlugField("コード", max_length=30, unique=True)
    label = models.CharField("表示名", max_length=40, unique=True)
    order = models.PositiveSmallIntegerField("順", unique=True)
    is_done = models.BooleanField("措置済として数える", default=False)
    is_closed = models.BooleanField("完了（これ以上の報告不要）", default=False)
    requires_reason = models.BooleanField("理由が必要", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "措置状況の区分"
        ordering = ["order"]

    def __str__(self):
        return self.label


def overdue_q(today, prefix: str = "") -> Q:
    """The one definition of 期限超過: an open measure (its status not closed) whose reply-by date is
    before today. `prefix` reaches measures from another model ("measures__")."""
    return Q(**{f"{prefix}status__is_closed": False, f"{prefix}reply_by__lt": today})


class MeasureQuerySet(models.QuerySet):
    def for_user(self, user, action: str | None = None):
        """The measures `user` sees (READ_ALL_ROLES: all; a section: its own); with `action`, those
        they may take it on as far as the role and the section decide (auditreg.access.allowed)."""
        if action is not None and not access.allowed(user, action):
            return self.none()
        return access.scope(self, user)

    def open(self):
        """Measures still to be reported on (their status is not closed)."""
        return self.filter(status__is_closed=False)

    def overdue(self, today):
        """The overdue measures (overdue_q)."""
        return self.filter(overdue_q(today))


class Measure(models.Model):
    """The measure one section takes on one finding; its state is the latest accepted report."""

    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="measures", verbose_name="指摘・意見")
    section = models.ForeignKey(
        "auditreg.Section", on_delete=models.PROTECT, related_name="measures", verbose_name="所管課"
    )
    reply_by = models.DateField("回答期限", null=True, blank=True)
    assigned_by = models.ForeignKey("auditreg.User", on_delete=models.PROTECT, related_name="+", verbose_name="割当者")
    assigned_at = models.DateTimeField("割当日時")
    # Official state = the latest accepted report; kept here by the accept service for fast lists.
    status = models.ForeignKey(
        MeasureStatus, on_delete=models.PROTECT, related_name="measures", verbose_name="措置状況"
    )
    accepted_report = models.ForeignKey(
        "MeasureReport",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="受理済の最新報告",
    )

    objects = MeasureQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "措置"
        ordering = ["finding__report", "finding__order", "section__bureau__order", "section__order"]
        constraints = [models.UniqueConstraint(fields=["finding", "section"], name="measure_unique_section")]
        indexes = [
            models.Index(fields=["section", "reply_by"]),
            # the dashboard's overdue list: the oldest reply dates first, read in index order
            models.Index(fields=["reply_by"], name="measure_reply_by_idx"),
        ]

    def __str__(self):
        return f"{self.finding.code} {self.section.name}"


class MeasureReportQuerySet(models.QuerySet):
    def for_user(self, user):
        """The reports of the measures `user` sees (a semi-join on Measure.objects.for_user)."""
        return self.filter(measure__in=Measure.objects.for_user(user))


class MeasureReport(models.Model):
    """One dated report of progress on a measure. Reports are never overwritten once submitted:
    the history of accepted reports reconstructs the state on any past date."""

    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="reports")
    state = models.CharField("段階", max_length=12, choices=ReportState.choices, default=ReportState.DRAFT)
    status = models.ForeignKey(MeasureStatus, on_delete=models.PROTECT, related_name="reports", verbose_name="措置状況")
    reported_on = models.DateField("報告日（時点）")
    text = models.TextField("措置（対応）の内容", blank=True)
    planned_completion_on = models.DateField("完了予定日", null=True, blank=True)
    completed_on = models.DateField("措置年月日", null=True, blank=True)
    reason = models.TextField("措置しない理由", blank=True)
    drafted_by = models.ForeignKey("auditreg.User", on_delete=models.PROTECT, related_name="+", verbose_name="作成者")
    drafted_at = models.DateTimeField("作成日時")
    last_edited_by = models.ForeignKey(
        "auditreg.User", on_delete=models.PROTECT, related_name="+", verbose_name="最終編集者"
    )
    updated_at = models.DateTimeField("最終更新日時")
    approved_by = models.ForeignKey(
        "auditreg.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="承認者（課長）",
    )
    approved_at = models.DateTimeField("承認・提出日時", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        "auditreg.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="審査者（監査事務局）",
    )
    reviewed_at = models.DateTimeField("審査日時", null=True, blank=True)
    review_comment = models.TextField("監査事務局のコメント", blank=True)
    # From the mayor's notice to the 監査委員 (通知), when the report was adopted from a city's records.
    notice_number = models.CharField("通知の文書番号", max_length=60, blank=True, default="")
    notice_on = models.DateField("通知日", null=True, blank=True)
    adopted = models.BooleanField("過去の記録から取込", default=False, editable=False)
    version = models.PositiveIntegerField("版", default=1)  # optimistic locking of drafts
    # The section as it stood when the report was made: a reorganisation moves the measure to a successor,
    # the reports the old section made keep showing it. Null: the measure's section (never moved since).
    section = models.ForeignKey(
        "auditreg.Section",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="報告時の所管課",
    )

    objects = MeasureReportQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "措置の報告"
        ordering = ["measure", "drafted_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["measure"],
                condition=Q(state__in=["draft", "submitted", "returned", "revising"]),
                name="report_one_open_per_measure",
            ),
            # 指摘01 of the very report: creator and approver must be different people.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True)
                | (~Q(approved_by=models.F("drafted_by")) & ~Q(approved_by=models.F("last_edited_by"))),
                name="report_approver_is_not_drafter",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["draft", "submitted", "returned", "revising", "accepted"]),
                name="report_state_valid",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["submitted", "accepted"]) | Q(approved_by__isnull=False),
                name="report_submitted_is_approved",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "measure"]),
            models.Index(fields=["measure", "reviewed_at"]),
            # the dashboard's reports awaiting review, oldest first (a few thousand of ~175k reports)
            models.Index(fields=["approved_at"], condition=Q(state="submitted"), name="report_awaiting_review_idx"),
        ]

    def __str__(self):

        return f"{self.measure} {format_date(self.reported_on)} {self.get_state_display()}"


def evidence_storage():

    return storages["evidence"]


def evidence_upload_to(instance, filename):
    # Random stored name: the user's file name never reaches the file system (no traversal).

    return f"evidence/{instance.measure_id}/{uuid.uuid4().hex}"


class EvidenceFileQuerySet(models.QuerySet):
    def for_user(self, user):
        """The evidence of the measures `user` sees."""
        return self.filter(measure__in=Measure.objects.for_user(user))


class EvidenceFile(models.Model):
    """A file attached to a measure report as evidence. Stored outside any URL-served folder;
    downloaded only through a view that checks the user may see the measure."""

    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="evidence")
    report = models.ForeignKey(MeasureReport, on_delete=models.PROTECT, null=True, blank=True, related_name="evidence")
    file = models.FileField("ファイル", upload_to=evidence_upload_to, storage=evidence_storage, max_length=300)
    original_name = models.CharField("ファイル名", max_length=200)
    content_type = models.CharField("種類", max_length=100)
    size = models.PositiveBigIntegerField("サイズ（バイト）")
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    uploaded_by = models.ForeignKey("auditreg.User", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("登録日時")

    objects = EvidenceFileQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "根拠資料"
        ordering = ["measure", "uploaded_at"]


class ReminderLog(models.Model):
    """One row per digest sent, so that the reminder command sends each digest once a day."""

    sent_on = models.DateField("送信日")
    recipient_key = models.CharField("宛先", max_length=100)  # "section:12" or "auditors"
    kind = models.CharField("種類", max_length=30)
    recipients = models.TextField("宛先アドレス", blank=True)
    item_count = models.PositiveIntegerField("件数")

    class Meta:
        verbose_name = verbose_name_plural = "督促メールの送信記録"
        constraints = [
            models.UniqueConstraint(fields=["sent_on", "recipient_key", "kind"], name="reminder_once_per_day")
        ]


class MeasureCount(models.Model):
    """How many measures each section has per status and month of the reply deadline: the audit
    office dashboard's 局・課別 table sums these rows (bounded by sections × statuses × months) instead
    of aggregating every measure. Kept by findings.status.refresh, the one path through which the
    services store a status change, in the same transaction (the changed findings' sections are
    recounted under a lock on those sections); findings.status.rebuild_counts recounts everything."""

    section = models.ForeignKey("auditreg.Section", on_delete=models.CASCADE, related_name="+", verbose_name="課")
    status = models.ForeignKey(MeasureStatus, on_delete=models.CASCADE, related_name="+", verbose_name="措置状況")
    # first day of reply_by's month; null: no deadline
    reply_month = models.DateField("回答期限の月", null=True)
    measures = models.PositiveIntegerField("措置の件数")

    class Meta:
        verbose_name = verbose_name_plural = "措置の件数（課・措置状況・回答期限の月ごと）"
        indexes = [models.Index(fields=["section"], name="measure_count_section_idx")]


class FindingBureau(models.Model):
    """Each 局 a finding is assigned in (a section of it has a measure), with the finding's status code as
    last counted: what BureauFindingCount counts, kept beside it so that a change can take back exactly
    what was counted before (a measure moved or taken away leaves no trace of its old 局 otherwise)."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="+", verbose_name="指摘・意見")
    bureau = models.ForeignKey("auditreg.Bureau", on_delete=models.CASCADE, related_name="+", verbose_name="局")
    status_code = models.CharField("措置状況", max_length=30)

    class Meta:
        verbose_name = verbose_name_plural = "指摘・意見の割当先の局"
        constraints = [models.UniqueConstraint(fields=["finding", "bureau"], name="finding_bureau_unique")]


class BureauFindingCount(models.Model):
    """How many findings are assigned in each 局, per status code: the dashboard's 局別 chart reads these
    rows (局 × statuses) instead of counting distinct findings over every measure (1.4 s at 300,000
    measures). Kept with FindingBureau by findings.status.refresh, in the same transaction, by adding
    the difference; findings.status.rebuild_counts recounts everything (after writes past the services, as
    for MeasureCount). Not among DASHBOARD_TABLES: written only in transactions that also write
    findings_finding or findings_measurecount, whose triggers change the dashboard's version."""

    bureau = models.ForeignKey("auditreg.Bureau", on_delete=models.CASCADE, related_name="+", verbose_name="局")
    status_code = models.CharField("措置状況", max_length=30)
    # a plain integer: a difference is added in one INSERT … ON CONFLICT, whose proposed row may be negative
    findings = models.IntegerField("指摘・意見の件数")

    class Meta:
        verbose_name = verbose_name_plural = "指摘・意見の件数（局・措置状況ごと）"
        constraints = [models.UniqueConstraint(fields=["bureau", "status_code"], name="bureau_finding_count_unique")]


class FindingStatusCount(models.Model):
    """How many findings there are per 区分 and status code: the dashboard's 区分 × 措置状況 table reads
    these rows (kinds × statuses) instead of counting every finding (18 ms at 88,000 findings). Kept by
    findings.status.refresh by adding the difference (the finding's stored kind and status before, the
    derived status after); findings.status.recount_findings recounts it after an import, which creates,
    changes and deletes findings past refresh. Not among DASHBOARD_TABLES, as BureauFindingCount."""

    kind = models.CharField("区分", max_length=20)
    status_code = models.CharField("措置状況", max_length=30)  # "": no measure yet (未割当)
    findings = models.IntegerField("指摘・意見の件数")  # a plain integer, as BureauFindingCount's

    class Meta:
        verbose_name = verbose_name_plural = "指摘・意見の件数（区分・措置状況ごと）"
        constraints = [models.UniqueConstraint(fields=["kind", "status_code"], name="finding_status_count_unique")]


class FindingReplyByCount(models.Model):
    """How many findings have each Finding.open_reply_by date (their open measures' earliest reply-by
    date): the dashboard's overdue-age chart sums these rows (one per date) instead of counting every
    overdue finding (26 ms at 88,000 findings). Kept as FindingStatusCount."""

    open_reply_by = models.DateField("未完了の措置の最も早い回答期限", unique=True)
    findings = models.IntegerField("指摘・意見の件数")

    class Meta:
        verbose_name = verbose_name_plural = "指摘・意見の件数（未完了の措置の最も早い回答期限ごと）"
