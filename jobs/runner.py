"""Running one queued job in the worker (jobs.tasks.run_job): the status report's downloads and
publications, rendered by the findings app. Records the outcome on the Job row."""

import datetime
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db.models import F
from django.http import QueryDict
from django.utils import timezone

from auditreg.access import allowed
from findings import publishing, renderers
from findings.forms import StatusReportForm
from findings.models import AuditReport
from findings.services import WorkflowError
from findings.status_report import build_from_form

from .choices import JobKind, JobState
from .models import Job

logger = logging.getLogger(__name__)

GENERIC_ERROR = (
    "作成中に予期しないエラーが発生しました（処理番号 {pk}）。"
    "再試行しても解決しない場合は、システム管理者に処理番号をお伝えください。"
)


def job_execute(*, job_id: int) -> str:
    """Run one queued job (called by the task); records the outcome on the row and never raises, so that a
    failure is shown to the user in Japanese and the traceback goes to the log only."""
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, state=JobState.QUEUED).update(
        state=JobState.RUNNING, started_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return "skipped"
    job = Job.objects.select_related("requested_by").get(pk=job_id)
    try:
        if job.kind == JobKind.EXPORT:
            _run_export(job)
        else:
            _run_publication(job)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a message on the job
        message = _message(exc, job)
        if message == GENERIC_ERROR.format(pk=job.pk):
            logger.exception("job %s failed", job.pk)
        else:
            logger.warning("job %s refused: %s", job.pk, message)
        Job.objects.filter(pk=job.pk).update(state=JobState.FAILED, error=message, finished_at=timezone.now())
        return "failed"
    job.state = JobState.DONE
    job.finished_at = timezone.now()
    job.save(update_fields=["state", "finished_at", "result", "result_name", "result_size", "publication"])
    return "done"


def _message(exc: Exception, job: Job) -> str:
    if isinstance(exc, WorkflowError | PermissionDenied):
        return str(exc) or "この処理を行う権限がありません。"
    if isinstance(exc, ValidationError):
        return "条件が正しくありません: " + "、".join(exc.messages)
    return GENERIC_ERROR.format(pk=job.pk)


def _run_export(job: Job) -> None:
    allowed(job.requested_by, "export").check()  # the account may have changed since the request
    query = QueryDict(mutable=True)
    for key, values in job.params["query"].items():
        query.setlist(key, values)
    form = StatusReportForm(query)
    if not form.is_valid():
        raise ValidationError([e for errors in form.errors.values() for e in errors])
    fmt = job.params["format"]
    render, _content_type = renderers.RENDERERS[fmt]
    report = build_from_form(form)
    content = render(report)
    job.result_name = renderers.filename(report, fmt)
    job.result_size = len(content)
    job.result.save(job.result_name, ContentFile(content), save=False)


def _run_publication(job: Job) -> None:
    p = job.params
    reports = list(AuditReport.objects.filter(pk__in=p["reports"]))
    reports.sort(key=lambda r: p["reports"].index(r.pk))  # the first one names the publication
    if len(reports) != len(p["reports"]):
        raise ValidationError("選んだ報告書が見つかりません。")
    job.publication = publishing.publish(
        reports=reports,
        as_of=datetime.date.fromisoformat(p["as_of"]),
        per=p["per"],
        number=p["number"],
        published_on=datetime.date.fromisoformat(p["published_on"]),
        allow_same_content=p["allow_same_content"],
        order=p.get("order", "organisation"),
        preamble=p.get("preamble"),
        by=job.requested_by,
    )
