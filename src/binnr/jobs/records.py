"""The job record: what ``/jobs`` shows and every engine writes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
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


def _aware(value: datetime | None) -> datetime | None:
    # SQLite drops the zone; every stored time is UTC. PostgreSQL answers in the session's
    # time zone (the server's default), so convert back to UTC: records look the same anywhere.
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def record_from_row(row: Any) -> JobRecord:
    """A stored row (JSON text columns, maybe zone-less times) as a record."""
    data = dict(row)
    for key in ("params", "progress"):
        data[key] = json.loads(data[key] or "{}")
    data["result"] = json.loads(data["result"]) if data["result"] else None
    data["error"] = JobError.model_validate_json(data["error"]) if data["error"] else None
    for key in ("created_at", "started_at", "finished_at", "heartbeat_at"):
        data[key] = _aware(data[key])
    return JobRecord.model_validate(data)
