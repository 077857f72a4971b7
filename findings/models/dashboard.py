"""What the audit office dashboard's cache is keyed by (findings.dashboard_cache)."""

from django.db import models

# The tables whose rows the dashboard shows or counts. A write to any of them, by any path (the services,
# the admin, an import, a bulk load, raw SQL), changes DashboardVersion in the same transaction: database
# triggers, created by migration 0015 from this list. A table the dashboard starts reading must be added here
# and the triggers recreated (a new migration calling findings.dashboard_cache.create_triggers).
DASHBOARD_TABLES = (
    "findings_auditreport",
    "findings_finding",
    "findings_findingkindlabel",
    "findings_measurestatus",
    "findings_measure",
    "findings_measurecount",
    "findings_measurereport",
    "findings_publication",
    "findings_publication_reports",
    "auditreg_section",
    "auditreg_bureau",
)
# auditreg_user: only the columns the dashboard prints (the approver's and last editor's names), so that a
# login (last_login) does not empty the cache
DASHBOARD_USER_COLUMNS = ("username", "last_name", "first_name")


class DashboardVersion(models.Model):
    """One row: a value that changes, never back to an earlier one, whenever a transaction that wrote to
    one of DASHBOARD_TABLES commits (a fresh random value, set by the triggers). The dashboard's cached
    page is keyed by it, so a page drawn before that commit is never shown after it, in any process."""

    version = models.CharField("版", max_length=40)

    class Meta:
        verbose_name = verbose_name_plural = "ダッシュボードの版"


class DashboardChange(models.Model):
    """PostgreSQL only: one row per writing transaction, inserted by the tables' statement triggers and
    deleted again at commit by the deferred trigger that changes DashboardVersion. Deferring that change
    to the commit keeps the version row's lock out of the transaction's other locks (no deadlock, no
    writers queueing behind one another for longer than a commit)."""

    class Meta:
        verbose_name = verbose_name_plural = "ダッシュボードの変更（処理中）"
