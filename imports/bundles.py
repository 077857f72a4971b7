"""Handlers for report data uploads: a zipped bundle folder, or the Excel workbook template.

Both read the file into the same `Bundle`, run the same whole-bundle checks and the same loader the
`import_report` command uses; only where a problem is shown differs (file / record, or sheet / row)."""

import hashlib
import json

from django.db import DatabaseError

from auditreg.changelog import record
from auditreg.models import Bureau, Section
from findings.bundle.checks import check_bundle
from findings.bundle.exporter import bundle_files
from findings.bundle.loader import LoadRefused, load_bundle
from findings.bundle.reader import Bundle, Problem, read_bundle
from findings.bundle.schema import FILE_ORDER
from findings.models import AuditReport, Finding

from .choices import BatchKind
from .plan import Plan
from .uploads import UploadRefused, safe_unzip
from .workbook import place, read_workbook

KNOWN_FILES = set(FILE_ORDER) | {"FORMAT.md", "NOTES.md", "README.md"}


class ReportDataHandler:
    kind: str
    accepts: tuple[str, ...] = ()

    def __init__(self):
        self._cache: dict[str, Bundle] = {}

    # -- what differs between the zip and the workbook -----------------------------------------
    def _read(self, batch) -> Bundle:
        raise NotImplementedError

    def place(self, problem: Problem) -> str:
        return " / ".join(part for part in (problem.file, problem.record) if part)

    # -- the pipeline contract -------------------------------------------------------------------
    def bundle(self, batch) -> Bundle:
        if batch.sha256 not in self._cache:
            self._cache[batch.sha256] = self._read(batch)
        return self._cache[batch.sha256]

    def lock(self, batch) -> None:
        # every report import syncs the shared organisation master: locking it serialises imports
        list(Bureau.objects.select_for_update().order_by("pk").values_list("pk", flat=True))

    def fingerprint(self, batch) -> str:
        """Digest of everything this upload may change: the canonical export of each report it names
        (or its absence) and the organisation master. Import → export is lossless, so any change to
        the data an import touches changes this digest."""
        digest = hashlib.sha256()
        bundle = self.bundle(batch)  # UploadRefused (an unsafe zip, say) propagates: nothing is stored
        if bundle.problems:  # unreadable: the batch is INVALID and never confirmed, so no export is needed
            return hashlib.sha256(b"unreadable").hexdigest()
        codes = [r.get("code") for r in bundle.rows("reports.yaml") if r.get("code")]
        for code in codes:
            report = AuditReport.objects.filter(code=code).first()
            digest.update(f"report:{code}:".encode())
            if report is None:
                digest.update(b"absent")
                continue
            for name, text in sorted(bundle_files(report).items()):
                digest.update(name.encode() + b"\0" + text.encode() + b"\0")
        organisation = [
            list(Bureau.objects.order_by("pk").values_list("pk", "name", "order", "valid_from", "valid_to")),
            list(
                Section.objects.order_by("pk").values_list("pk", "bureau_id", "name", "order", "valid_from", "valid_to")
            ),
        ]
        digest.update(json.dumps(organisation, default=str, ensure_ascii=False).encode())
        return digest.hexdigest()

    def run(self, batch, *, by) -> Plan:
        try:
            bundle = self.bundle(batch)
        except UploadRefused as exc:
            return Plan(problems=[[batch.filename, "", str(exc)]])
        plan = Plan(warnings=[[self.place(w), w.field, w.message] for w in bundle.warnings])
        if bundle.problems:
            plan.problems = [[self.place(p), p.field, p.message] for p in bundle.problems]
            return plan
        checks = check_bundle(bundle)
        plan.notices = list(checks.notices)
        if checks.errors:
            plan.problems = [[self.place(p), p.field, p.message] for p in checks.errors]
            return plan
        try:
            result = load_bundle(bundle)  # its own savepoint: a refused row leaves nothing behind
        except LoadRefused as exc:
            plan.problems = [[self.place(p), p.field, p.message] for p in exc.problems]
            return plan
        except DatabaseError as exc:
            plan.problems = [["", "", f"データベースの制約に反するため、取り込めません: {exc}"]]
            return plan
        for label, stats in result.stats.items():
            label = str(label)
            plan.summary[label] = {
                "created": stats.created,
                "updated": stats.updated,
                "unchanged": stats.unchanged,
                "deleted": stats.deleted,
            }
            plan.changes += [[label, key, "（新規）", "", ""] for key in stats.created_keys]
            plan.changes += [[label, key, field, old, new] for key, field, old, new in stats.details]
            plan.changes += [[label, key, "（削除）", "", ""] for key in stats.deleted_keys]
        _log_findings(result, batch, by)
        return plan


def _log_findings(result, batch, by) -> None:
    """Each finding an import creates or changes gets an entry in its own change history (画面の変更履歴)."""
    stats = result.stats.get(Finding._meta.verbose_name)
    if stats is None or not (stats.created_keys or stats.details):
        return
    changes: dict[str, dict] = {key: {} for key in stats.created_keys}
    for key, field, old, new in stats.details:
        changes.setdefault(key, {})[field] = [old, new]
    findings = {
        f"{f.report.code} / {f.key}": f
        for f in Finding.objects.select_related("report").filter(
            report__code__in={k.split(" / ")[0] for k in changes}, key__in={k.split(" / ")[-1] for k in changes}
        )
    }
    for key, fields in changes.items():
        finding = findings.get(key)
        if finding is not None:
            record(
                actor=by,
                action="finding.imported",
                obj=finding,
                finding_id=finding.pk,
                changes=fields,
                comment=f"データ取込（{batch.get_kind_display()} {batch.filename}、SHA-256 {batch.sha256[:12]}…）",
            )


class BundleHandler(ReportDataHandler):
    kind = BatchKind.BUNDLE
    accepts = ("zip",)

    def _read(self, batch) -> Bundle:
        files = safe_unzip(bytes(batch.content))
        bundle = read_bundle(files, label=batch.filename)
        for name in sorted(set(files) - KNOWN_FILES):
            bundle.warnings.append(Problem(name, "", "", "知らないファイルは読み飛ばします"))
        return bundle


class WorkbookHandler(ReportDataHandler):
    kind = BatchKind.WORKBOOK
    accepts = ("xlsx",)

    def _read(self, batch) -> Bundle:
        return read_workbook(bytes(batch.content), label=batch.filename)

    def place(self, problem: Problem) -> str:
        return place(problem)
