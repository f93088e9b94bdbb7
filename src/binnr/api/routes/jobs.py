"""/jobs: status (the original's contract), active, recent, cancel."""

from __future__ import annotations

from fastapi import APIRouter, Query

from binnr.api.deps import EngineDep
from binnr.api.errors import errors
from binnr.api.schemas import JobStatus
from binnr.api.types import JobIdPath
from binnr.jobs.records import JobRecord, JobState

router = APIRouter(prefix="/jobs", tags=["jobs"])


def to_status(record: JobRecord) -> JobStatus:
    """A job record in the API's shape."""
    return JobStatus(
        task_id=record.id,
        status=record.state,
        result=record.result,
        kind=record.kind,
        progress=record.progress,
        error=record.error.model_dump() if record.error else None,
        params=record.params,
        created_at=record.created_at,
        started_at=record.started_at,
        finished_at=record.finished_at,
        worker=record.worker,
    )


@router.get(
    "/status/{task_id}",
    response_model=JobStatus,
    operation_id="job_status",
    responses=errors(404, 422),
)
def job_status(task_id: JobIdPath, engine: EngineDep) -> JobStatus:
    """State, progress and result (a JSON object) of one job."""
    return to_status(engine.get(task_id))


@router.get(
    "/active", response_model=list[JobStatus], operation_id="active_jobs", responses=errors()
)
def active_jobs(engine: EngineDep) -> list[JobStatus]:
    """Queued and running jobs."""
    return [to_status(r) for r in engine.list_active()]


@router.get("", response_model=list[JobStatus], operation_id="list_jobs", responses=errors(422))
def list_jobs(
    engine: EngineDep,
    state: JobState | None = None,
    kind: str | None = None,
    limit: int = Query(default=50, ge=1, le=1000),
) -> list[JobStatus]:
    """Recent jobs, newest first."""
    return [to_status(r) for r in engine.list_recent(state=state, kind=kind, limit=limit)]


@router.post(
    "/{task_id}/cancel",
    response_model=JobStatus,
    operation_id="cancel_job",
    responses=errors(404, 409, 422),
)
def cancel_job(task_id: JobIdPath, engine: EngineDep) -> JobStatus:
    """Ask a job to stop (cooperative: it stops at its next safe point)."""
    return to_status(engine.cancel(task_id))
