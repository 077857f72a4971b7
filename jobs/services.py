"""Starting and retrying background jobs (the worker runs them: jobs.runner). Every write to a Job from a
request goes through here."""

import datetime

from django.db import transaction
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone

from auditreg.access import allowed
from auditreg.changelog import record

from .choices import JobKind, JobState
from .models import Job
from .tasks import run_job


def _enqueue(job: Job) -> None:
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
