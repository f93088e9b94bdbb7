"""Durable job records in a SQL database (SQLAlchemy Core).

The embedded default is a SQLite file ``$BINNR_HOME/jobs.sqlite3``; ``BINNR_JOB_STORE`` takes
any SQLAlchemy URL (e.g. PostgreSQL) so Celery workers on other machines share the records.
"""

from __future__ import annotations

import builtins
import json
import threading
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from binnr.errors import NotFound
from binnr.jobs.records import ACTIVE_STATES, JobError, JobRecord, JobState, redact
from binnr.settings import Settings

_meta = sa.MetaData()
jobs_table = sa.Table(
    "binnr_jobs",
    _meta,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(64), nullable=False, index=True),
    sa.Column("params", sa.Text, nullable=False),
    sa.Column("state", sa.String(16), nullable=False, index=True),
    sa.Column("progress", sa.Text, nullable=False, default="{}"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("heartbeat_at", sa.DateTime(timezone=True)),
    sa.Column("result", sa.Text),
    sa.Column("error", sa.Text),
    sa.Column("cancel_requested", sa.Boolean, nullable=False, default=False),
    sa.Column("worker", sa.String(200)),
)


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    # SQLite drops the zone; every stored time is UTC. PostgreSQL answers in the session's
    # time zone (the server's default), so convert back to UTC: records look the same anywhere.
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _storable(*texts: str | None) -> bool:
    # No stored text holds NUL, and PostgreSQL refuses NUL in a parameter: such a key
    # matches nothing (instead of a driver error).
    return not any(t and "\x00" in t for t in texts)


class JobStore:
    """CRUD for job records; safe to share between threads and processes."""

    def __init__(self, url: str) -> None:
        kwargs: dict[str, Any] = {}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            # A server-side database restarts or drops idle connections; test before use.
            kwargs["pool_pre_ping"] = True
        self.url = url
        self.engine: Engine = sa.create_engine(url, future=True, **kwargs)
        if url.startswith("sqlite"):
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self._lock = threading.Lock()
        _meta.create_all(self.engine)

    # -- writes ----------------------------------------------------------------------------
    def create(self, *, kind: str, params: dict[str, Any], job_id: str | None = None) -> JobRecord:
        """Insert a queued job; secrets in ``params`` are masked before they are stored."""
        new_id = job_id or uuid.uuid4().hex
        row = {
            "id": new_id,
            "kind": kind,
            "params": json.dumps(redact(params), default=str),
            "state": "queued",
            "progress": json.dumps({"phase": "queued", "percent": 0.0}),
            "created_at": _now(),
            "cancel_requested": False,
        }
        self._write(sa.insert(jobs_table).values(**row))
        return self.get(new_id)

    def mark_running(self, job_id: str, *, worker: str) -> bool:
        """Move a queued (or retried) job to running; False if it was cancelled meanwhile."""
        now = _now()
        stmt = (
            sa.update(jobs_table)
            .where(jobs_table.c.id == job_id, jobs_table.c.state.in_(["queued", "interrupted"]))
            .where(jobs_table.c.cancel_requested.is_(False))
            .values(state="running", started_at=now, heartbeat_at=now, worker=worker)
        )
        return self._write(stmt) == 1

    def set_progress(self, job_id: str, progress: dict[str, Any]) -> None:
        """Store progress; doubles as the heartbeat."""
        stmt = (
            sa.update(jobs_table)
            .where(jobs_table.c.id == job_id)
            .values(progress=json.dumps(progress, default=str), heartbeat_at=_now())
        )
        self._write(stmt)

    def finish(
        self,
        job_id: str,
        *,
        state: JobState,
        result: dict[str, Any] | None = None,
        error: JobError | None = None,
        progress: dict[str, Any] | None = None,
    ) -> None:
        """Record the end of a job."""
        values: dict[str, Any] = {
            "state": state,
            "finished_at": _now(),
            "result": json.dumps(result, default=str) if result is not None else None,
            "error": error.model_dump_json() if error else None,
        }
        if progress is not None:
            values["progress"] = json.dumps(progress, default=str)
        self._write(sa.update(jobs_table).where(jobs_table.c.id == job_id).values(**values))

    def request_cancel(self, job_id: str) -> JobRecord:
        """Flag a job for cancellation; a queued job is cancelled at once.

        Both updates run in one transaction and re-check the state themselves: a worker that
        starts the job meanwhile either sees the flag (and does not start it) or has started
        it first (and the flag stops it at its next safe point); the request is never lost.
        """
        self.get(job_id)  # NotFound for an unknown id
        flag = (
            sa.update(jobs_table)
            .where(jobs_table.c.id == job_id, jobs_table.c.state.in_(list(ACTIVE_STATES)))
            .values(cancel_requested=True)
        )
        cancel_queued = (
            sa.update(jobs_table)
            .where(jobs_table.c.id == job_id, jobs_table.c.state == "queued")
            .values(state="cancelled", finished_at=_now())
        )
        with self._lock, self.engine.begin() as conn:
            conn.execute(flag)
            conn.execute(cancel_queued)
        return self.get(job_id)

    def interrupt(self, *, states: Sequence[JobState], stale_after: float | None = None) -> int:
        """Mark jobs in ``states`` interrupted (only those silent for ``stale_after`` s)."""
        stmt = sa.update(jobs_table).where(jobs_table.c.state.in_(list(states)))
        if stale_after is not None:
            cutoff = _now() - timedelta(seconds=stale_after)
            stmt = stmt.where(
                sa.func.coalesce(jobs_table.c.heartbeat_at, jobs_table.c.created_at) < cutoff
            )
        error = JobError(
            type="Interrupted",
            message="The process running this job stopped before it finished.",
            hint="Submit the job again.",
        )
        return self._write(
            stmt.values(state="interrupted", finished_at=_now(), error=error.model_dump_json())
        )

    def _write(self, stmt: sa.Executable) -> int:
        with self._lock, self.engine.begin() as conn:
            return int(conn.execute(stmt).rowcount or 0)

    # -- reads -----------------------------------------------------------------------------
    def get(self, job_id: str) -> JobRecord:
        """One job; :class:`NotFound` if unknown."""
        row = None
        if _storable(job_id):
            with self.engine.connect() as conn:
                stmt = sa.select(jobs_table).where(jobs_table.c.id == job_id)
                row = conn.execute(stmt).first()
        if row is None:
            raise NotFound(
                f"Job {job_id!r} does not exist.", hint="GET /jobs lists recent jobs and their ids."
            )
        return _record(row._mapping)

    def is_cancel_requested(self, job_id: str) -> bool:
        """Whether someone asked to cancel the job."""
        with self.engine.connect() as conn:
            value = conn.execute(
                sa.select(jobs_table.c.cancel_requested).where(jobs_table.c.id == job_id)
            ).scalar()
        return bool(value)

    def list(
        self,
        *,
        states: Sequence[str] | None = None,
        kind: str | None = None,
        limit: int = 50,
    ) -> builtins.list[JobRecord]:
        """Newest first, optionally filtered."""
        if not _storable(kind, *(states or ())):
            return []
        stmt = sa.select(jobs_table).order_by(jobs_table.c.created_at.desc()).limit(limit)
        if states:
            stmt = stmt.where(jobs_table.c.state.in_(list(states)))
        if kind:
            stmt = stmt.where(jobs_table.c.kind == kind)
        with self.engine.connect() as conn:
            return [_record(r._mapping) for r in conn.execute(stmt)]

    def active(self) -> builtins.list[JobRecord]:
        """Queued and running jobs."""
        return self.list(states=ACTIVE_STATES, limit=1000)


def _record(row: Any) -> JobRecord:
    data = dict(row)
    for key in ("params", "progress"):
        data[key] = json.loads(data[key] or "{}")
    data["result"] = json.loads(data["result"]) if data["result"] else None
    data["error"] = JobError.model_validate_json(data["error"]) if data["error"] else None
    for key in ("created_at", "started_at", "finished_at", "heartbeat_at"):
        data[key] = _aware(data[key])
    return JobRecord.model_validate(data)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def job_store_url(settings: Settings) -> str:
    """``BINNR_JOB_STORE`` or the embedded SQLite file under ``BINNR_HOME``."""
    return settings.job_store or f"sqlite:///{(settings.home / 'jobs.sqlite3').resolve()}"
