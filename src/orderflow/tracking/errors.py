"""Errors of the tracking domain."""

from __future__ import annotations

from orderflow.errors import BadRequest


class InvalidResumePoint(BadRequest):
    code = "invalid_resume_point"
    title = "Invalid resume point"
