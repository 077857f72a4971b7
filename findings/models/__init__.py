"""The findings app's models, one module per part of the register; `findings.models.X` stays the import
path (migrations name the upload callables by it)."""

from .dashboard import DASHBOARD_TABLES, DASHBOARD_USER_COLUMNS, DashboardChange, DashboardVersion
from .organisation import OrganisationChange, OrganisationMove
from .publication import Publication, PublicationFile, publication_storage, publication_upload_to
from .report import (
    AuditReport,
    Finding,
    FindingGroup,
    FindingKindLabel,
    FindingQuerySet,
    FindingSection,
    FindingSubject,
    ReportArea,
    StatedTotal,
    SubjectType,
    TextRepair,
    bigram_tsquery,
)
from .saved_filter import SavedFilter
from .workflow import (
    EvidenceFile,
    EvidenceFileQuerySet,
    Measure,
    MeasureCount,
    MeasureQuerySet,
    MeasureReport,
    MeasureReportQuerySet,
    MeasureStatus,
    ReminderLog,
    evidence_storage,
    evidence_upload_to,
    overdue_q,
)

__all__ = [
    "DASHBOARD_TABLES",
    "DASHBOARD_USER_COLUMNS",
    "DashboardChange",
    "DashboardVersion",
    "AuditReport",
    "EvidenceFile",
    "EvidenceFileQuerySet",
    "Finding",
    "FindingGroup",
    "FindingKindLabel",
    "FindingQuerySet",
    "FindingSection",
    "FindingSubject",
    "MeasureCount",
    "Measure",
    "MeasureQuerySet",
    "MeasureReport",
    "MeasureReportQuerySet",
    "MeasureStatus",
    "OrganisationChange",
    "OrganisationMove",
    "Publication",
    "PublicationFile",
    "ReminderLog",
    "ReportArea",
    "SavedFilter",
    "StatedTotal",
    "SubjectType",
    "TextRepair",
    "bigram_tsquery",
    "evidence_storage",
    "evidence_upload_to",
    "overdue_q",
    "publication_storage",
    "publication_upload_to",
]
