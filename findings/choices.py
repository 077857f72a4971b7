from django.db import models

from auditreg.choices import SECTION_APPROVER, Role


# Seed values only: the kinds (FindingKindLabel), a report's areas (ReportArea) and the subject
# types (SubjectType) are data. These are the rows a new database starts with.
class FindingKind(models.TextChoices):
    SHITEKI = "指摘", "指摘"
    IKEN = "意見", "意見"


class Area(models.TextChoices):
    DX = "DX", "DX"
    SYSTEMS = "情報システム", "情報システム"


class SubjectKind(models.TextChoices):
    # `project` and `system` link to a DxProject / an InformationSystem; the others name their subject.
    PROJECT = "project", "DX事業"
    SYSTEM = "system", "情報システム"
    GENERAL = "general", "全般事項"
    SUBSIDY = "subsidy", "補助金"
    FACILITY = "facility", "施設"
    CONTRACT = "contract", "契約"
    BODY = "body", "団体"


class ReportState(models.TextChoices):
    """Where a measure report (措置の報告) stands in the flow 担当 → 課長 → 監査事務局."""

    DRAFT = "draft", "作成中"
    SUBMITTED = "submitted", "課長承認済・審査待ち"
    RETURNED = "returned", "差戻し"
    # 課内差戻し: an approver handed the draft back to the 担当 with a comment instead of editing it
    REVISING = "revising", "課内差戻し・修正中"
    ACCEPTED = "accepted", "受理"


OPEN_REPORT_STATES = (ReportState.DRAFT, ReportState.SUBMITTED, ReportState.RETURNED, ReportState.REVISING)
# The states a section may still write in (draft, evidence)
EDITABLE_REPORT_STATES = (ReportState.DRAFT, ReportState.RETURNED, ReportState.REVISING)

# SECTION_APPROVER (auditreg.choices, imported above and still importable from here): every 課長 and
# the deputies a section names (課長補佐, 代理); a deputy keeps the 担当 role (auditreg.access.roles_of).


class Action(models.TextChoices):
    SAVE_DRAFT = "save_draft", "下書き保存"
    SUBMIT = "submit", "承認して提出"
    ACCEPT = "accept", "受理"
    RETURN = "return", "差戻し"
    SECTION_RETURN = "section_return", "課内差戻し"


# The one table of allowed transitions: action -> (states it may start from, state it leads to,
# roles that may take it; SECTION_APPROVER = a 課長 or a named deputy; BUREAU_APPROVER = the 局's
# 代決者, for every section of their 局). `None` as a start means
# "no open report yet". It is the workflow's part of the access table: findings.access registers a
# rule per action, and services enforce it through auditreg.access.allowed().
TRANSITIONS = {
    Action.SAVE_DRAFT: (
        {None, *EDITABLE_REPORT_STATES},
        ReportState.DRAFT,
        {Role.SECTION_STAFF, Role.SECTION_HEAD},
    ),
    Action.SUBMIT: (
        {ReportState.DRAFT},
        ReportState.SUBMITTED,
        {Role.SECTION_HEAD, SECTION_APPROVER, Role.BUREAU_APPROVER},
    ),
    # an approver hands a draft back to the 担当 with a comment, instead of editing it himself
    Action.SECTION_RETURN: (
        {ReportState.DRAFT},
        ReportState.REVISING,
        {Role.SECTION_HEAD, SECTION_APPROVER, Role.BUREAU_APPROVER},
    ),
    Action.ACCEPT: ({ReportState.SUBMITTED}, ReportState.ACCEPTED, {Role.AUDITOR}),
    Action.RETURN: ({ReportState.SUBMITTED}, ReportState.RETURNED, {Role.AUDITOR}),
}


# Built-in status codes; their labels live in the MeasureStatus table and can be renamed.
class StatusCode:
    NOT_STARTED = "not_started"
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    NOT_TAKING = "not_taking"
