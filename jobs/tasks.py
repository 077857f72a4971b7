"""The one django-tasks task: run a Job row. The worker (`manage.py db_worker`) picks it from the database."""

from django_tasks import task

from .runner import job_execute


@task()
def run_job(job_id: int) -> str:
    return job_execute(job_id=job_id)
