"""Durable job records in a SQL database (SQLAlchemy Core).

The embedded default is a SQLite file ``$BINNR_HOME/jobs.sqlite3``; ``BINNR_JOB_STORE`` takes
any SQLAlchemy URL (e.g. PostgreSQL) so Celery workers on other machines share the records.
"""

from __future__ import annotations

import builtins
import json
import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from binnr.errors import NotFound
from binnr.jobs.record_cache import RecordCache, Watchers
from binnr.jobs.records import (
    ACTIVE_STATES,
    JobError,
    JobRecord,
    JobState,
    record_from_row,
    redact,
)
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
        self.cache: RecordCache | None = None
        self._watchers = Watchers()
        _meta.create_all(self.engine)

    def own_records(self) -> None:
        """Serve reads from memory, kept current by this store's writes.

        Only for a process that is the sole writer of the records (the in-process engine,
        after interrupting what earlier processes left active): others' writes go unseen.
        """
        with self._lock:
            self.cache = RecordCache()
            for record in self._select(states=ACTIVE_STATES, kind=None, limit=None):
                self.cache.put(record)

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
        self._write(sa.insert(jobs_table).values(**row), job_id=new_id)
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
        return self._write(stmt, job_id=job_id) == 1

    def set_progress(self, job_id: str, progress: dict[str, Any]) -> None:
        """Store progress; doubles as the heartbeat."""
        stmt = (
            sa.update(jobs_table)
            .where(jobs_table.c.id == job_id)
            .values(progress=json.dumps(progress, default=str), heartbeat_at=_now())
        )
        self._write(stmt, job_id=job_id)

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
        stmt = sa.update(jobs_table).where(jobs_table.c.id == job_id).values(**values)
        self._write(stmt, job_id=job_id)

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
        with self._lock:
            with self.engine.begin() as conn:
                conn.execute(flag)
                conn.execute(cancel_queued)
            self._refresh(job_id)
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
        count = self._write(
            stmt.values(state="interrupted", finished_at=_now(), error=error.model_dump_json())
        )
        if self.cache is not None:
            self.own_records()  # which records changed is not known: reload the active ones
        return count

    def _write(self, stmt: sa.Executable, *, job_id: str | None = None) -> int:
        with self._lock:
            with self.engine.begin() as conn:
                count = int(conn.execute(stmt).rowcount or 0)
            # Under the write lock, so the cache sees the writes in the order they committed.
            self._refresh(job_id)
            return count

    def _refresh(self, job_id: str | None) -> None:
        if self.cache is not None and job_id is not None:
            record = self._read(job_id)
            if record is not None:
                self.cache.put(record)
                self._watchers.notify(job_id)

    def watch(self, job_id: str, wake: Callable[[], None]) -> Callable[[], None] | None:
        """Run ``wake`` after every write to the job's record (see :class:`.Watchers`); returns
        the function that stops it, or None where this process does not own the records (others'
        writes go unseen: poll instead)."""
        if self.cache is None:
            return None
        return self._watchers.add(job_id, wake)

    # -- reads -----------------------------------------------------------------------------
    def get(self, job_id: str) -> JobRecord:
        """One job; :class:`NotFound` if unknown."""
        record = self.cached(job_id)
        if record is None and self.cache is not None:
            with self._lock:  # ordered with the writes: a stale read never overwrites a newer one
                record = self._read(job_id)
                if record is not None:
                    self.cache.put(record)
        elif record is None:
            record = self._read(job_id)
        if record is None:
            raise NotFound(
                f"Job {job_id!r} does not exist.", hint="GET /jobs lists recent jobs and their ids."
            )
        return record

    def cached(self, job_id: str) -> JobRecord | None:
        """The record from memory, without IO; None if not there (or no cache)."""
        return self.cache.get(job_id) if self.cache is not None else None

    def cached_active(self) -> builtins.list[JobRecord] | None:
        """Queued and running jobs from memory, without IO; None without a cache."""
        return self.cache.active() if self.cache is not None else None

    def _read(self, job_id: str) -> JobRecord | None:
        if not _storable(job_id):
            return None
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(jobs_table).where(jobs_table.c.id == job_id)).first()
        return record_from_row(row._mapping) if row is not None else None

    def is_cancel_requested(self, job_id: str) -> bool:
        """Whether someone asked to cancel the job."""
        record = self.cached(job_id)
        if record is not None:
            return record.cancel_requested
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
        return self._select(states=states, kind=kind, limit=limit)

    def _select(
        self, *, states: Sequence[str] | None, kind: str | None, limit: int | None
    ) -> builtins.list[JobRecord]:
        stmt = sa.select(jobs_table).order_by(jobs_table.c.created_at.desc()).limit(limit)
        if states:
            stmt = stmt.where(jobs_table.c.state.in_(list(states)))
        if kind:
            stmt = stmt.where(jobs_table.c.kind == kind)
        with self.engine.connect() as conn:
            return [record_from_row(r._mapping) for r in conn.execute(stmt)]

    def active(self) -> builtins.list[JobRecord]:
        """Queued and running jobs."""
        cached = self.cached_active()
        if cached is not None:
            return cached[:1000]
        return self.list(states=ACTIVE_STATES, limit=1000)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # With WAL, NORMAL syncs at checkpoints, not on every commit (a job writes several times):
    # a process crash loses nothing; only an OS crash or power cut may lose the last writes.
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def job_store_url(settings: Settings) -> str:
    """``BINNR_JOB_STORE`` or the embedded SQLite file under ``BINNR_HOME``."""
    return settings.job_store or f"sqlite:///{(settings.home / 'jobs.sqlite3').resolve()}"
