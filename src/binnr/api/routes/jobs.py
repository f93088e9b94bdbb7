"""/jobs: status (the original's contract), active, recent, cancel."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from binnr.api.deps import EngineDep
from binnr.api.errors import errors
from binnr.api.schemas import JobStatus
from binnr.api.types import JobIdPath, one_of
from binnr.jobs.engine import JobEngine
from binnr.jobs.records import JobRecord, JobState
from binnr.services.job_table import JOB_KINDS

JobKindQuery = Annotated[
    str | None,
    Query(pattern=one_of(JOB_KINDS.names()), max_length=64, description="A job kind"),
]

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
    kind: JobKindQuery = None,
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


#: How often a stream looks at the job record, and how long it may stay silent.
EVENT_POLL_SECONDS = 0.25
KEEPALIVE_SECONDS = 15.0


@router.get(
    "/{task_id}/events",
    operation_id="job_events",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "Server-sent events"},
        **errors(404, 422),
    },
)
async def job_events(task_id: JobIdPath, engine: EngineDep, request: Request) -> StreamingResponse:
    """Server-sent events: ``status`` (the job's status JSON) whenever its state or progress
    changes, then ``end`` once it has ended; a comment line keeps idle connections open."""
    first = await run_in_threadpool(engine.get, task_id)  # 404 before the stream starts
    return StreamingResponse(
        _events(engine, first, request),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _events(engine: JobEngine, record: JobRecord, request: Request) -> AsyncIterator[str]:
    last, quiet = "", 0.0
    while True:
        status = to_status(record).model_dump_json()
        if status != last:
            yield f"event: status\ndata: {status}\n\n"
            last, quiet = status, 0.0
        elif quiet >= KEEPALIVE_SECONDS:
            yield ": keep-alive\n\n"
            quiet = 0.0
        if not record.active:
            yield "event: end\ndata: {}\n\n"
            return
        if await request.is_disconnected():
            return
        await asyncio.sleep(EVENT_POLL_SECONDS)
        quiet += EVENT_POLL_SECONDS
        record = await run_in_threadpool(engine.get, record.id)
