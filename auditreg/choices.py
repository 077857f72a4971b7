from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "システム管理者"
    AUDITOR = "auditor", "監査事務局"
    SECTION_STAFF = "section_staff", "所管課担当"
    SECTION_HEAD = "section_head", "所管課長"
    # reads everything the audit office reads and changes nothing (auditreg.access.READ_ALL_ROLES)
    COMMISSIONER = "commissioner", "監査委員"
    # 局の代決者 (局長・部長): approves (代決) and hands back the drafts of any section of their 局
    # (User.bureau), reads that 局's measures, never edits a draft; for a section whose only
    # approver drafted or edited the report
    BUREAU_APPROVER = "bureau_approver", "局の代決者（局長・部長）"


# The section's approvers: every 課長 and the deputies a section names (User.deputy_title). Not a role
# of its own: a deputy keeps the 担当 role and gains this one (auditreg.access.roles_of).
SECTION_APPROVER = "section_approver"


class DeputyTitle(models.TextChoices):
    """A 担当 the section names as a deputy approver: approves drafts like the 課長 (never one they wrote)."""

    NONE = "", "なし"
    HOSA = "課長補佐", "課長補佐"
    DAIRI = "代理", "代理（課長の職務代理）"


# What the change log's action codes mean, for people (the codes stay stable in the data).
ACTION_LABELS = {
    "admin.added": "管理画面で追加",
    "admin.changed": "管理画面で変更",
    "admin.deleted": "管理画面で削除",
    "admin.password_changed": "管理画面でパスワードを変更",
    "evidence.added": "根拠資料の登録",
    "finding.imported": "取込による変更",
    "import.applied": "データ取込",
    "import.files_purged": "取込ファイルの内容の削除",
    "import.refused": "取込の拒否",
    "inquiry.answered": "照会への回答",
    "inquiry.closed": "照会の締切",
    "inquiry.created": "照会の作成",
    "inquiry.downloaded": "照会様式のダウンロード",
    "measure.assigned": "所管課の割当",
    "measure.reply_by_changed": "回答期限の変更",
    "measure.unassigned": "所管課の割当解除",
    "measure.transferred": "機構改革による引継ぎ",
    "organisation.prepared": "機構改革の登録",
    "organisation.applied": "機構改革の実施",
    "organisation.cancelled": "機構改革の取消",
    "reminder.sent": "督促の送信",
    "publication.created": "措置状況の公表",
    "report.accepted": "受理",
    "report.created": "報告の作成",
    "report.edited": "報告の編集",
    "report.returned": "差戻し",
    "report.section_returned": "課内差戻し",
    "report.submitted": "課長承認・提出",
    "saved_filter.default_changed": "既定の一覧の変更",
    "saved_filter.deleted": "保存した絞り込みの削除",
    "saved_filter.saved": "絞り込みの保存",
    "user.deactivated": "アカウントの無効化",
    "user.directory_synced": "ディレクトリからの役割・所属の反映",
    "user.deputy_changed": "承認の代理の指名",
    "user.password_changed": "パスワードの変更",
}
