"""What every template's context holds beyond Django's own."""

from django.http import HttpRequest

from core.choices import JobStatus


def job_status(request: HttpRequest) -> dict[str, type[JobStatus]]:
    """`JobStatus`, so that a template compares a job's status with the choices, not with a
    string: `{% if run.status == JobStatus.DONE %}`."""
    return {"JobStatus": JobStatus}
