"""Request and response models (the original binnr's field names).

A request body that queues a job is that job's parameter model (:mod:`binnr.params`) plus
``warehouse`` and ``role`` (:class:`RequestLocation`); routes turn it into the parameters with
``body.job_params(Model)``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from binnr.params import (
    ClassificationTablesParams,
    ClusterParams,
    GbmTrainParams,
    LlmTrainParams,
    PredictParams,
    RequestLocation,
)
from binnr.params.compare import CompareParams
from binnr.params.fields import LocationName

_REQUEST = ConfigDict(extra="ignore", populate_by_name=True)


class ClassificationTablesRequest(RequestLocation, ClassificationTablesParams):
    """Body of ``POST /data/create/tables/classification``."""

    model_config = _REQUEST


class GbmTrainRequest(RequestLocation, GbmTrainParams):
    """Body of ``POST /classification/gbm/train``."""

    model_config = _REQUEST


class PredictRequest(RequestLocation, PredictParams):
    """Body of the predict routes."""

    model_config = _REQUEST


class ClusterRequest(RequestLocation, ClusterParams):
    """Body of ``POST /classification/embeddings/cluster``."""

    model_config = _REQUEST


class CompareRequest(RequestLocation, CompareParams):
    """Body of ``POST /classification/compare``."""

    model_config = _REQUEST


class LlmTrainRequest(RequestLocation, LlmTrainParams):
    """Body of ``POST /classification/llm/train`` (the original's fields plus tuning knobs)."""

    model_config = _REQUEST


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


class SqlRequest(RequestLocation):
    """Body of ``POST /data/sql``: one statement."""

    database: LocationName | None = None
    schema_: LocationName | None = Field(default=None, alias="schema")

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


class ModelSummary(BaseModel):
    """One model in ``GET /models``."""

    name: str
    kind: str
    family: str
    active: bool
    created_at: str
    metrics: dict[str, Any] | None = None


class ModelDetail(ModelSummary):
    """One model with all its metadata."""

    metadata: dict[str, Any]


class LlmTrainAccepted(BaseModel):
    """The original's answer: the task, the job to check, and the model's name."""

    task_id: str
    job_id: str
    model_name: str
    notes: list[str] = Field(default_factory=list)


class LlmTrainCheck(BaseModel):
    """The original's ``{job_status, progress}`` plus steps, losses and ETA."""

    job_id: str
    job_status: str
    progress: float
    step: int | None = None
    total_steps: int | None = None
    train_loss: float | None = None
    eval_loss: float | None = None
    eta_seconds: float | None = None
    model_name: str | None = None
    error: dict[str, str] | None = None


class LlmResponse(BaseModel):
    """A completion from ``GET /classification/llm/response``."""

    model_name: str | None
    provider: str
    response: str


class LabelIssues(BaseModel):
    """``GET /classification/gbm/label-issues``: the rows whose label is most likely wrong."""

    model_name: str
    table: str
    total: int
    rows: list[dict[str, Any]]
