"""How a job tells the worker what went wrong.

Any exception from a task is retried (3 attempts, 2 s then 4 s by default). ``PermanentError``
fails the job at once (no retry); the task's compensation then runs, as after the last attempt.
"""

from __future__ import annotations

from orderflow.errors import Conflict, NotFound


class TransientError(Exception):
    """Try again later (gateway timeout, lock contention, a 5xx from a partner)."""


class PermanentError(Exception):
    """Retrying cannot help (declined card, order gone); fail now and compensate."""


class JobNotFound(NotFound):
    code = "job_not_found"
    title = "Job not found"


class JobNotRetryable(Conflict):
    code = "job_not_retryable"
    title = "Only a failed or aborted job can be retried"
