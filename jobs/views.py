"""A job's page (progress, then the download or the publication), its state as JSON for the page's script,
the download, and the retry of a failed job."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from auditreg.exports import download
from auditreg.wareki import format_date
from findings.renderers import RENDERERS

from .choices import FINISHED, JobKind, JobState
from .models import Job
from .selectors import job_for_user
from .services import job_retry, retryable

QUEUED_HINT_SECONDS = 30  # a job still waiting after this long: probably no worker running


def _when(moment) -> str:
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return f"{format_date(local.date())} {local:%H:%M:%S}"


def _next_url(job: Job) -> str:
    if job.state != JobState.DONE:
        return ""
    if job.kind == JobKind.PUBLICATION:
        return reverse("findings:publication_page", args=[job.publication.number])
    return reverse("jobs:job_download", args=[job.pk])


def job_detail_view(request, pk):
    job = job_for_user(user=request.user, pk=pk)
    if job.kind == JobKind.PUBLICATION and job.state == JobState.DONE:
        # the publication's own page, with the success message once
        if Job.objects.filter(pk=job.pk, announced=False).update(announced=True):
            messages.success(request, f"第{job.publication.number}号として公表しました。内容は今後変わりません。")
        return redirect(_next_url(job))
    waited = (timezone.now() - job.created_at).total_seconds()
    back_url = ""
    if job.kind == JobKind.PUBLICATION:
        query = urlencode(
            {"reports": job.params["reports"], "as_of": job.params["as_of"], "per": job.params["per"]}, True
        )
        back_url = f"{reverse('findings:publication_create')}?{query}"
    return render(
        request,
        "jobs/job_detail.html",
        {
            "job": job,
            "finished": job.state in FINISHED,
            "no_worker_hint": job.state == JobState.QUEUED and waited > QUEUED_HINT_SECONDS,
            "download_url": _next_url(job),
            "can_retry": Job.objects.filter(retryable(), pk=job.pk).exists(),
            "back_url": back_url,
            "requested_at": _when(job.created_at),
            "finished_at": _when(job.finished_at),
        },
    )


def job_status_view(request, pk):
    job = job_for_user(user=request.user, pk=pk)
    return JsonResponse(
        {"state": job.state, "label": job.get_state_display(), "finished": job.state in FINISHED},
        headers={"Cache-Control": "no-store"},
    )


def job_download_view(request, pk):
    job = job_for_user(user=request.user, pk=pk)
    if job.kind != JobKind.EXPORT or job.state != JobState.DONE or not job.result:
        raise Http404
    with job.result.open("rb") as fh:
        content = fh.read()

    return download(content, job.result_name, RENDERERS[job.params["format"]][1])


@require_POST
def job_retry_view(request, pk):
    job = job_for_user(user=request.user, pk=pk)
    if job_retry(job=job, by=request.user):
        messages.info(request, "もう一度実行します。")
    else:
        messages.warning(request, "この処理は失敗していないため、再試行しませんでした。")
    return redirect("jobs:job_detail", pk=job.pk)
