"""Reading jobs: one gatekeeper fetches a job and checks the user may see it."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from auditreg import access

from .models import Job


def can_see(user, job: Job) -> bool:
    """The person who asked, or the audit office (the status report's own rule: those who may export)."""
    return bool(access.allowed(user, "export")) and (
        job.requested_by_id == user.pk or access.allowed(user, "see_others_jobs")
    )


def job_for_user(*, user, pk: int) -> Job:
    job = get_object_or_404(Job.objects.select_related("requested_by", "publication"), pk=pk)
    if not can_see(user, job):
        raise PermissionDenied
    return job
