"""The Celery + Redis job engine: records in the shared job store, execution on workers.

``submit`` writes the record, then sends ``binnr.run_job(job_id)`` (the Celery task id is the
job id). Reads (``get``, ``list_active``, ``list_recent``) come from the store, so they work
while workers are down. ``cancel`` is cooperative (the job polls its cancel flag) and also
revokes the Celery task of a queued job. With ``BINNR_CELERY_IN_PROCESS=true`` the engine
runs a Celery worker (threads pool) inside the server process on the same queue.

Start-up rules and the failure model are documented in :mod:`binnr.jobs.celery_app`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Mapping
from typing import Any

from kombu.utils.url import maybe_sanitize_url
from pydantic import BaseModel

from binnr.errors import ConfigError
from binnr.jobs.celery_app import (
    TASK_NAME,
    CeleryOptions,
    Reaper,
    check_duckdb,
    make_celery_app,
    start_reaper,
    stop_reaper,
)
from binnr.jobs.engine import StoreBackedEngine
from binnr.jobs.kinds import KindTable
from binnr.jobs.records import JobError, JobRecord
from binnr.jobs.store import JobStore
from binnr.settings import Settings

log = logging.getLogger(__name__)


class CeleryEngine(StoreBackedEngine):
    """A :class:`~binnr.jobs.engine.JobEngine` whose jobs run on Celery workers."""

    def __init__(
        self,
        *,
        store: JobStore,
        settings: Settings,
        kinds: KindTable,
        options: CeleryOptions | None = None,
    ) -> None:
        self.options = options or CeleryOptions()
        check_duckdb(settings, self.options, role="server")
        self.store = store
        self.settings = settings
        self.kinds = kinds
        self.app = make_celery_app(settings, kinds=kinds, options=self.options, store=store)
        self.reaper: Reaper = start_reaper(store, self.options)
        self._embedded: EmbeddedWorker | None = None
        if settings.celery_in_process:
            self._embedded = EmbeddedWorker(
                self.app, concurrency=settings.job_workers, queue=self.options.celery_queue
            )
            self._embedded.start()

    def submit(self, *, kind: str, params: BaseModel | Mapping[str, Any]) -> JobRecord:
        """Store a queued record, then send its id to the queue."""
        record = self._create(kind, params)
        try:
            self.app.send_task(
                TASK_NAME, args=[record.id], task_id=record.id, queue=self.options.celery_queue
            )
        except Exception as exc:  # kombu raises several types for an unreachable broker
            broker = maybe_sanitize_url(self.settings.celery_broker_url or "")
            error = ConfigError(
                f"Cannot queue the job: the Celery broker at {broker} is unreachable ({exc}).",
                hint="Start Redis (or fix CELERY_BROKER_URL) and submit the job again.",
            )
            job_error = JobError(type=error.type, message=error.message, hint=error.hint)
            self.store.finish(record.id, state="failed", error=job_error)
            raise error from exc
        return record

    def cancel(self, job_id: str) -> JobRecord:
        """Flag the job for cancel; a queued job is cancelled at once and its task revoked."""
        record = super().cancel(job_id)
        if record.state == "cancelled":
            try:
                self.app.control.revoke(job_id)
            except Exception:  # the store already says cancelled; workers skip it anyway
                log.warning("revoking task %s failed", job_id, exc_info=True)
        return record

    def workers(self, *, timeout: float = 1.0) -> dict[str, list[str]]:
        """Diagnostics: each live worker's node name → the job ids it is executing."""
        replies = self.app.control.inspect(timeout=timeout).active() or {}
        return {node: [task["id"] for task in tasks] for node, tasks in replies.items()}

    def shutdown(self) -> None:
        """Stop the embedded worker (if any) and the reaper; queued jobs stay queued."""
        if self._embedded is not None:
            self._embedded.stop()
        stop_reaper(self.store)


class EmbeddedWorker:
    """A Celery worker (threads pool) running in a thread of the server process."""

    def __init__(self, app: Any, *, concurrency: int, queue: str) -> None:
        self._ready = threading.Event()
        # The threads pool looks tasks up in the process's default app (``celery worker`` sets
        # it too); the server process has one Celery app, so this is safe.
        app.set_default()
        self.controller = app.WorkController(
            hostname=f"binnr-server-{os.getpid()}@{socket.gethostname()}",
            pool_cls="threads",
            concurrency=max(1, concurrency),
            queues=[queue],
            loglevel="WARNING",
            without_heartbeat=True,
            without_mingle=True,
            without_gossip=True,
            ready_callback=lambda *_: self._ready.set(),
        )
        self._thread = threading.Thread(
            target=self.controller.start, name="binnr-celery-worker", daemon=True
        )

    def start(self, *, timeout: float = 30.0) -> None:
        """Start consuming; wait until the consumer is ready."""
        self._thread.start()
        if not self._ready.wait(timeout):
            log.warning("the embedded Celery worker was not ready after %.0f s", timeout)

    def stop(self, *, timeout: float = 10.0) -> None:
        """Warm shutdown: running jobs may finish; unacked messages go back to the queue."""
        self.controller.stop(in_sighandler=False)
        self._thread.join(timeout)
