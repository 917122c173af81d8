"""Schemas of the jobs (dead-letter) API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from orderflow.kit.schema import ApiResponse


class JobView(ApiResponse):
    """A job as the queue stores it. ``id`` is the job's key (e.g. ``payment:ord_...``)."""

    id: str = Field(description="The job key; pass it to POST /v1/jobs/{jobId}/retry")
    function: str = Field(description="The job name, e.g. payments.process")
    status: str = Field(
        description="new | queued | active | aborting | aborted | failed | complete"
    )
    attempts: int = Field(description="Attempts made so far")
    max_attempts: int
    arguments: dict[str, Any] = Field(description="The ids the job runs with")
    error: str | None = Field(description="The last error (a traceback) if the job failed")
    compensated: bool | None = Field(
        description="After a final failure: whether the compensation ran (null: not applicable)"
    )
    queued_at: datetime | None
    scheduled_at: datetime | None = Field(description="When the job is (or was) due")
    started_at: datetime | None
    completed_at: datetime | None
