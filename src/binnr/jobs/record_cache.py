"""An in-memory copy of the job records one process owns, kept current by that process's writes.

The in-process engine is the only writer of its records (it interrupts whatever an earlier
process left active), so status polls can be answered from memory instead of a database
round-trip per request. Engines whose jobs run elsewhere (Celery) never use this: other
processes write their records.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from binnr.jobs.records import JobRecord

#: Ended records kept for repeated polls (active ones are always kept: ``active()`` needs all).
MAX_ENDED = 4096


class RecordCache:
    """Job id → newest record; active records always present, the latest ended ones too."""

    def __init__(self, max_ended: int = MAX_ENDED) -> None:
        self._active: dict[str, JobRecord] = {}
        self._ended: OrderedDict[str, JobRecord] = OrderedDict()
        self._max_ended = max_ended
        # Writers only: readers (the API's event loop) never wait for a job thread that the
        # scheduler may have paused while holding a lock; a dict lookup is atomic as it is.
        self._lock = threading.Lock()

    def get(self, job_id: str) -> JobRecord | None:
        record = self._active.get(job_id)
        return record if record is not None else self._ended.get(job_id)

    def put(self, record: JobRecord) -> None:
        with self._lock:
            if record.active:
                self._ended.pop(record.id, None)
                self._active[record.id] = record
                return
            self._active.pop(record.id, None)
            self._ended[record.id] = record
            while len(self._ended) > self._max_ended:
                self._ended.popitem(last=False)

    def active(self) -> list[JobRecord]:
        """Active records, newest first (the store's order)."""
        records = list(self._active.values())  # one C-level copy: atomic under the GIL
        return sorted(records, key=lambda r: r.created_at, reverse=True)

    def clear(self) -> None:
        with self._lock:
            self._active.clear()
            self._ended.clear()


class Watchers:
    """Callbacks run after each write to a job's record (pushed events instead of polling).

    A callback runs on the writing thread, under the store's write lock: it must only hand the
    news on (``loop.call_soon_threadsafe``), never block or touch the store.
    """

    def __init__(self) -> None:
        self._by_job: dict[str, list[Callable[[], None]]] = {}
        self._lock = threading.Lock()

    def add(self, job_id: str, wake: Callable[[], None]) -> Callable[[], None]:
        """Register ``wake``; returns the function that removes it."""
        with self._lock:
            self._by_job.setdefault(job_id, []).append(wake)

        def remove() -> None:
            with self._lock:
                left = [w for w in self._by_job.get(job_id, []) if w is not wake]
                if left:
                    self._by_job[job_id] = left
                else:
                    self._by_job.pop(job_id, None)

        return remove

    def notify(self, job_id: str) -> None:
        with self._lock:
            wakes = list(self._by_job.get(job_id, ()))
        for wake in wakes:
            try:
                wake()
            except RuntimeError:  # the waiter's event loop has closed: nobody is listening
                continue
