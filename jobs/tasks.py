"""The worker's tasks (django-tasks; the database backend's `manage.py db_worker` runs
them). Each takes a job's id: the job's row says what to do, and a task that finds its job
in another state does nothing."""

from django_tasks import task

from . import runner


@task()
def check_import_job(job_id: int) -> str | None:
    job = runner.check_job(job_id)
    return job.status if job else None


@task()
def run_import_job(job_id: int) -> str | None:
    job = runner.import_job(job_id)
    return job.status if job else None
