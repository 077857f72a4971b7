"""Stage → preview → confirm, for every kind of upload.

`stage` reads the file (limits and type first), keeps its bytes and runs the kind's handler inside a
transaction that is always rolled back: the preview is what the real code did, not a prediction.
`confirm` runs the same handler on the same bytes again and commits only if (1) the data the preview
was checked against is unchanged (the handler's fingerprint) and (2) the change it made is the change
the preview showed (the plan digest); otherwise it rolls back and the batch is refused.

A handler (registered by kind in imports.handlers: BundleHandler, WorkbookHandler, InquiryHandler) has:
    kind: BatchKind value
    accepts: tuple of sniffed types ('zip', 'xlsx')
    fingerprint(batch) -> str   # digest of the data the upload may change, read before running
    run(batch, by) -> Plan      # called inside a transaction; writes freely; never raises for bad input
"""

import hashlib
import time

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from auditreg.changelog import record

from .choices import BatchKind, BatchState
from .handlers import HANDLERS
from .models import ImportBatch
from .plan import Plan
from .uploads import UploadRefused, expect, read_upload


class _Rollback(Exception):
    pass


class ConfirmRefused(Exception):
    """Confirmation refused; `str(exc)` says why. Nothing was written."""


def handler_for(kind: str):
    return HANDLERS[kind]()


def _run_rolled_back(handler, batch, by) -> Plan:
    box = {}
    try:
        with transaction.atomic():
            box["plan"] = handler.run(batch, by=by)
            raise _Rollback
    except _Rollback:
        pass
    return box["plan"]


REPORT_DATA_KINDS = {"zip": BatchKind.BUNDLE, "xlsx": BatchKind.WORKBOOK}


def stage(*, kind: str | None, upload, by, inquiry_round=None, section=None) -> ImportBatch:
    """Check and preview an upload. Raises UploadRefused (nothing stored) when the file cannot be read
    at all; otherwise returns the stored batch, PREVIEWED or INVALID (with its problems).
    kind=None: report data, as a zipped bundle or the Excel template, told apart by the content."""
    data = read_upload(upload)
    if kind is None:
        kind = REPORT_DATA_KINDS[expect(data, *REPORT_DATA_KINDS)]
    handler = handler_for(kind)
    expect(data, *handler.accepts)
    batch = ImportBatch(
        kind=kind,
        state=BatchState.PREVIEWED,
        filename=(getattr(upload, "name", "") or "upload")[:255],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        content=data,
        uploaded_by=by,
        uploaded_at=timezone.now(),
        round=inquiry_round,
        section=section,
    )
    started = time.perf_counter()
    batch.fingerprint = handler.fingerprint(batch)
    plan = _run_rolled_back(handler, batch, by)
    batch.seconds = time.perf_counter() - started
    _store_plan(batch, plan)
    if plan.problems:
        batch.state = BatchState.INVALID
    batch.save()
    return batch


def _store_plan(batch: ImportBatch, plan: Plan) -> None:
    batch.summary = plan.summary
    batch.changes = plan.changes
    batch.problems = plan.problems
    batch.warnings = plan.warnings
    batch.notices = plan.notices
    batch.plan_digest = plan.digest()


def confirm(*, batch: ImportBatch, by) -> ImportBatch:
    """Apply a previewed batch exactly as previewed, or refuse (ConfirmRefused) and write nothing but the refusal."""
    if batch.uploaded_by_id != by.pk:
        raise PermissionDenied("確認できるのはアップロードした本人だけです。")
    handler = handler_for(batch.kind)
    refusal = None
    started = time.perf_counter()
    try:
        with transaction.atomic():
            locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
            if locked.state != BatchState.PREVIEWED:
                raise ConfirmRefused(f"この取込は「{locked.get_state_display()}」のため、取り込めません。")
            handler.lock(locked)
            if handler.fingerprint(locked) != locked.fingerprint:
                refusal = "確認画面を表示した後にデータが変更されました。もう一度アップロードして確認し直してください。"
                raise _Rollback
            plan = handler.run(locked, by=by)
            if plan.problems or plan.digest() != locked.plan_digest:
                refusal = (
                    "確認画面の内容と取り込む内容が一致しなくなりました。もう一度アップロードして確認し直してください。"
                )
                raise _Rollback
            locked.state = BatchState.APPLIED
            locked.applied_by = by
            locked.applied_at = timezone.now()
            locked.seconds = time.perf_counter() - started
            locked.save(update_fields=["state", "applied_by", "applied_at", "seconds"])
            record(
                actor=by,
                action="import.applied",
                obj=locked,
                changes={"sha256": [None, locked.sha256], **{k: [None, v] for k, v in locked.counts.items()}},
                comment=f"{locked.get_kind_display()} {locked.filename}",
            )
            return locked
    except _Rollback:
        pass
    except IntegrityError:  # a concurrent write the locks did not cover (e.g. a report saved on screen meanwhile)
        refusal = "取り込む間に同じデータが変更されました。もう一度アップロードして確認し直してください。"
    batch.state = BatchState.REFUSED
    batch.save(update_fields=["state"])
    record(actor=by, action="import.refused", obj=batch, comment=refusal or "")
    raise ConfirmRefused(refusal)


def discard(*, batch: ImportBatch, by) -> ImportBatch:
    if batch.uploaded_by_id != by.pk:
        raise PermissionDenied("取り消せるのはアップロードした本人だけです。")
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.state in (BatchState.PREVIEWED, BatchState.INVALID):
            locked.state = BatchState.DISCARDED
            locked.save(update_fields=["state"])
    return locked


__all__ = ["ConfirmRefused", "Plan", "UploadRefused", "confirm", "discard", "stage"]
