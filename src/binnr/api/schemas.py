"""Request and response models (the original binnr's field names)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from binnr.prep.classification import ClassificationSpec


class Location(BaseModel):
    """Where tables live; accepted on every route as in the original."""

    model_config = ConfigDict(populate_by_name=True)

    database: str | None = None
    schema_: str | None = Field(default=None, alias="schema")
    warehouse: str | None = None
    role: str | None = None

    def job_params(self) -> dict[str, Any]:
        """The body as JSON job parameters: ``database``/``schema`` kept, warehouse/role not."""
        data = self.model_dump(exclude={"schema_", "warehouse", "role"})
        data["schema"] = self.schema_
        return data


class ClassificationTablesRequest(ClassificationSpec, Location):
    """Body of ``POST /data/create/tables/classification``."""


class TaskAccepted(BaseModel):
    """A queued job: poll ``GET /jobs/status/{task_id}``."""

    task_id: str
    notes: list[str] = Field(default_factory=list)


class JobStatus(BaseModel):
    """The original's ``/jobs/status`` contract (``status``, ``result``) plus the record."""

    task_id: str
    status: str
    result: dict[str, Any] | None
    kind: str
    progress: dict[str, Any]
    error: dict[str, str] | None
    params: dict[str, Any]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    worker: str | None


class TableSummary(BaseModel):
    """One table in ``GET /data/tables``."""

    name: str
    rows: int
    columns: list[str]


class TableRows(BaseModel):
    """A page of a table's rows."""

    name: str
    columns: list[str]
    rows: list[dict[str, Any]]
    limit: int
    offset: int
    total: int


class SqlRequest(Location):
    """Body of ``POST /data/sql``: one statement."""

    sql: str = Field(min_length=1, max_length=100_000)
    limit: int = Field(default=1000, ge=1, le=100_000)


class SqlResult(BaseModel):
    """Rows of ``POST /data/sql`` (at most ``limit``)."""

    columns: list[str]
    rows: list[dict[str, Any]]
    truncated: bool


class ErrorBody(BaseModel):
    """``{"error": {"type", "message", "hint"}}``."""

    error: dict[str, str]
