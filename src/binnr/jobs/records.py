"""The job record: what ``/jobs`` shows and every engine writes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

JobState = Literal["queued", "running", "succeeded", "failed", "cancelled", "interrupted"]
ACTIVE_STATES: tuple[JobState, ...] = ("queued", "running")
FINAL_STATES: tuple[JobState, ...] = ("succeeded", "failed", "cancelled", "interrupted")

_SECRET_WORDS = ("password", "secret", "token", "api_key", "apikey", "private_key")


class JobError(BaseModel):
    """Why a job failed: type, message and what to do."""

    type: str
    message: str
    hint: str


class JobRecord(BaseModel):
    """A durable job record."""

    id: str
    kind: str
    params: dict[str, Any]
    state: JobState
    progress: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    heartbeat_at: datetime | None = None
    result: dict[str, Any] | None = None
    error: JobError | None = None
    cancel_requested: bool = False
    worker: str | None = None

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES


def redact(params: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``params`` with secret-looking keys masked (recursively)."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if any(word in key.lower() for word in _SECRET_WORDS):
            out[key] = "***"
        elif isinstance(value, dict):
            out[key] = redact(value)
        else:
            out[key] = value
    return out
