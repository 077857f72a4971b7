"""The jobs app's part of the access policy (auditreg.access)."""

from auditreg import access
from auditreg.choices import Role

access.register(
    {
        # a download of the status report as filtered: a read, so whoever reads the status report
        "export": access.rule(access.READ_ALL_ROLES, refused="措置状況の書き出しは監査事務局が行います。"),
        # the office's jobs are the office's work: an auditor follows a colleague's publication
        "see_others_jobs": access.rule(Role.AUDITOR),
    }
)
