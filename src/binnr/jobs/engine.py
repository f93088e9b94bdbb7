"""The JobEngine interface and the in-process engine (a thread pool)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from pydantic import BaseModel

from binnr.errors import Conflict
from binnr.jobs.kinds import KindTable
from binnr.jobs.records import ACTIVE_STATES, JobRecord
from binnr.jobs.runner import run_job
from binnr.jobs.store import JobStore
from binnr.settings import Settings


class JobEngine(Protocol):
    """Submit, look up, list and cancel jobs; engines differ only in where jobs run."""

    store: JobStore

    def submit(self, *, kind: str, params: BaseModel | Mapping[str, Any]) -> JobRecord:
        """Validate ``params`` with the kind's model, queue the job, return its record."""

    def get(self, job_id: str) -> JobRecord:
        """One job record."""

    def list_active(self) -> list[JobRecord]:
        """Queued and running jobs."""

    def peek(self, job_id: str) -> JobRecord | None:
        """The record if it can be had without IO (from memory), else None: call :meth:`get`."""

    def peek_active(self) -> list[JobRecord] | None:
        """:meth:`list_active` if it can be answered without IO, else None."""

    def list_recent(
        self, *, state: str | None = None, kind: str | None = None, limit: int = 50
    ) -> list[JobRecord]:
        """Newest jobs first."""

    def cancel(self, job_id: str) -> JobRecord:
        """Request cooperative cancellation."""

    def watch(self, job_id: str, wake: Callable[[], None]) -> Callable[[], None] | None:
        """Call ``wake`` after each change to the job's record; returns the function that stops
        it, or None where changes cannot be seen from here (poll :meth:`get` instead)."""

    def shutdown(self) -> None:
        """Stop accepting work."""


class StoreBackedEngine:
    """The read side every engine shares: records come from the store."""

    store: JobStore
    kinds: KindTable

    def get(self, job_id: str) -> JobRecord:
        return self.store.get(job_id)

    def peek(self, job_id: str) -> JobRecord | None:
        return self.store.cached(job_id)

    def peek_active(self) -> list[JobRecord] | None:
        return self.store.cached_active()

    def watch(self, job_id: str, wake: Callable[[], None]) -> Callable[[], None] | None:
        return self.store.watch(job_id, wake)

    def _create(self, kind: str, params: BaseModel | Mapping[str, Any]) -> JobRecord:
        """The stored record: parameters validated by the kind's model, then dumped."""
        typed = self.kinds.get(kind).parse(params)
        return self.store.create(kind=kind, params=typed.dump())

    def list_active(self) -> list[JobRecord]:
        return self.store.active()

    def list_recent(
        self, *, state: str | None = None, kind: str | None = None, limit: int = 50
    ) -> list[JobRecord]:
        return self.store.list(states=[state] if state else None, kind=kind, limit=limit)

    def cancel(self, job_id: str) -> JobRecord:
        record = self.store.get(job_id)
        if not record.active:
            raise Conflict(
                f"Job {job_id} already ended ({record.state}).",
                hint="Only queued or running jobs can be cancelled.",
            )
        return self.store.request_cancel(job_id)


class InProcessEngine(StoreBackedEngine):
    """Jobs on a thread pool inside the server process (the embedded default)."""

    def __init__(self, *, store: JobStore, settings: Settings, kinds: KindTable) -> None:
        self.store = store
        self.settings = settings
        self.kinds = kinds
        # Whatever was queued or running belonged to a process that is gone.
        store.interrupt(states=ACTIVE_STATES)
        # From here on this process alone writes the records it runs: answer reads from memory.
        store.own_records()
        # Job threads share the interpreter with the API's event loop: a busy job thread hands
        # the interpreter lock back sooner. (Lowering the job threads' OS priority was tried and
        # measured worse: a descheduled thread that holds the lock stalls the API instead.)
        sys.setswitchinterval(settings.switch_interval_ms / 1000)
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, settings.job_workers), thread_name_prefix="binnr-job"
        )

    def submit(self, *, kind: str, params: BaseModel | Mapping[str, Any]) -> JobRecord:
        record = self._create(kind, params)
        self._pool.submit(
            run_job, record.id, store=self.store, settings=self.settings, kinds=self.kinds
        )
        return record

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
