"""/jobs: status (the original's contract), active, recent, cancel."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import suppress
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
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


#: Job id → (record, its JSON): a record is immutable (a write makes a new one), so its JSON is
#: made once however often it is polled. Used on the event loop only.
_JSON: dict[str, tuple[JobRecord, bytes]] = {}
_JSON_MAX = 4096


def status_json(record: JobRecord) -> bytes:
    """The status JSON of ``record`` (the same as FastAPI's for ``JobStatus``), memoised."""
    memo = _JSON.get(record.id)
    if memo is not None and memo[0] is record:
        return memo[1]
    body = to_status(record).model_dump_json().encode()
    if len(_JSON) >= _JSON_MAX:
        _JSON.pop(next(iter(_JSON)))
    _JSON[record.id] = (record, body)
    return body


@router.get(
    "/status/{task_id}",
    response_model=JobStatus,
    operation_id="job_status",
    responses=errors(404, 422),
)
async def job_status(task_id: JobIdPath, engine: EngineDep) -> Response:
    """State, progress and result (a JSON object) of one job."""
    # The hot polling path: from memory on the event loop when the engine can (no thread hop,
    # no database); a store read goes to a thread.
    return Response(status_json(await _current(engine, task_id)), media_type="application/json")


@router.get(
    "/active", response_model=list[JobStatus], operation_id="active_jobs", responses=errors()
)
async def active_jobs(engine: EngineDep) -> Response:
    """Queued and running jobs."""
    records = engine.peek_active()
    if records is None:
        records = await run_in_threadpool(engine.list_active)
    body = b"[" + b",".join(status_json(r) for r in records) + b"]"
    return Response(body, media_type="application/json")


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
EVENT_POLL_SECONDS = 0.25  # where changes are not pushed: jobs on Celery workers
WATCH_CHECK_SECONDS = 1.0  # where they are: how often a quiet stream checks its client is there
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
    loop = asyncio.get_running_loop()
    changed = asyncio.Event()

    def wake() -> None:
        loop.call_soon_threadsafe(changed.set)

    # pushed where this process writes the records (in-process jobs): each write wakes the
    # stream at once; jobs on Celery workers are polled
    stop = engine.watch(record.id, wake)
    wait = EVENT_POLL_SECONDS if stop is None else WATCH_CHECK_SECONDS
    try:
        if stop is not None:  # a write between the first read and the watch
            record = engine.peek(record.id) or record
        last, quiet = "", 0.0
        while True:
            status = status_json(record).decode()
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
            quiet += await _changed_or_timeout(changed, wait)
            record = await _current(engine, record.id)
    finally:
        if stop is not None:
            stop()


async def _current(engine: JobEngine, job_id: str) -> JobRecord:
    """The newest record: from memory where it is there, else from the store."""
    record = engine.peek(job_id)
    return record if record is not None else await run_in_threadpool(engine.get, job_id)


async def _changed_or_timeout(changed: asyncio.Event, seconds: float) -> float:
    """Wait for a change or ``seconds``; the seconds waited."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    with suppress(TimeoutError):
        await asyncio.wait_for(changed.wait(), seconds)
    changed.clear()
    return loop.time() - start
