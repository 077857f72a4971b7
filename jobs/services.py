"""Starting, running and retrying background jobs. Every write to a Job goes through here."""

import datetime
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q
from django.http import QueryDict
from django.utils import timezone

from auditreg.access import allowed
from auditreg.changelog import record

from .choices import JobKind, JobState
from .models import Job

logger = logging.getLogger(__name__)

GENERIC_ERROR = (
    "作成中に予期しないエラーが発生しました（処理番号 {pk}）。"
    "再試行しても解決しない場合は、システム管理者に処理番号をお伝えください。"
)


def _enqueue(job: Job) -> None:
    from .tasks import run_job

    result = run_job.enqueue(job_id=job.pk)
    Job.objects.filter(pk=job.pk).update(task_id=result.id)


@transaction.atomic
def export_start(*, by, query: QueryDict, fmt: str, title: str) -> Job:
    """A download of the 措置状況 page as it is filtered (`query`), rendered by the worker."""
    allowed(by, "export").check()
    job = Job.objects.create(
        kind=JobKind.EXPORT,
        title=title,
        params={"query": {k: query.getlist(k) for k in query if k != "format"}, "format": fmt},
        requested_by=by,
        created_at=timezone.now(),
    )
    _enqueue(job)
    return job


@transaction.atomic
def publication_start(
    *,
    by,
    reports,
    as_of: datetime.date,
    per: str,
    number: int,
    published_on: datetime.date,
    allow_same_content: bool,
    title: str,
    order: str = "organisation",
    preamble: dict | None = None,
) -> Job:
    """Freezing a publication (rendering and storing every format) as a job; findings.publishing.publish checks
    the number and the content again when it runs."""
    allowed(by, "publish").check()
    job = Job.objects.create(
        kind=JobKind.PUBLICATION,
        title=f"第{number}号 {title}",
        params={
            "reports": [r.pk for r in reports],
            "as_of": as_of.isoformat(),
            "per": per,
            "number": number,
            "published_on": published_on.isoformat(),
            "allow_same_content": allow_same_content,
            "order": order,
            "preamble": preamble,
        },
        requested_by=by,
        created_at=timezone.now(),
    )
    _enqueue(job)
    return job


STALE_AFTER = datetime.timedelta(minutes=30)  # a job "running" this long lost its worker (killed, machine restarted)


def retryable() -> Q:
    return Q(state=JobState.FAILED) | Q(state=JobState.RUNNING, started_at__lt=timezone.now() - STALE_AFTER)


def job_retry(*, job: Job, by) -> bool:
    """A failed (or stale) job queued again with the same parameters; False when it could not be retried."""
    with transaction.atomic():
        if not Job.objects.filter(retryable(), pk=job.pk).update(
            state=JobState.QUEUED, error="", started_at=None, finished_at=None
        ):
            return False
        record(actor=by, action="job.retried", obj=job, changes={"attempts": [job.attempts, None]})
        _enqueue(job)
    return True


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
    from findings.services import WorkflowError

    if isinstance(exc, WorkflowError | PermissionDenied):
        return str(exc) or "この処理を行う権限がありません。"
    if isinstance(exc, ValidationError):
        return "条件が正しくありません: " + "、".join(exc.messages)
    return GENERIC_ERROR.format(pk=job.pk)


def _run_export(job: Job) -> None:
    from findings import reports as renderers
    from findings.forms import StatusReportForm
    from findings.status_views import build_from_form

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
    from findings import publishing
    from findings.models import AuditReport

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
