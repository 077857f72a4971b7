"""The one django-tasks task: run a Job row. The worker (`manage.py db_worker`) picks it from the database."""

from django_tasks import task


@task()
def run_job(job_id: int) -> str:
    from .services import job_execute

    return job_execute(job_id=job_id)
