"""The Celery app built from :class:`~binnr.settings.Settings`, and the worker side of jobs.

Jobs travel through the broker as their id only; the durable job store holds kind, params,
progress and result. A worker process opens one :class:`JobStore` and runs
:func:`binnr.jobs.runner.run_job`, exactly like the in-process engine.

Failure model (documented choice: **interrupted, not retried**): a worker killed mid-job
(SIGKILL, OOM, lost machine) leaves its job ``running`` with a heartbeat that stops moving.
:func:`reap_stale` marks such jobs ``interrupted``; it runs when a worker starts and on a timer
in every worker and in the server's :class:`~binnr.jobs.celery_engine.CeleryEngine`. Jobs are not
retried automatically because they may have half-written warehouse tables; the user resubmits.
``task_acks_late`` is on, ``task_reject_on_worker_lost`` is off, and a redelivered message for a
job that is no longer ``queued`` is ignored, so a job never runs twice.

Options beyond :class:`Settings` (environment or ``.env``; see :class:`CeleryOptions`):

* ``BINNR_CELERY_QUEUE`` (``binnr``): the queue jobs are sent to and workers consume.
* ``BINNR_CELERY_VISIBILITY_TIMEOUT`` (43200 s = 12 h): Redis redelivers an unacknowledged
  message after this long; keep it longer than the longest job.
* ``BINNR_JOB_HEARTBEAT_SECONDS`` (10): how often a worker touches a running job's heartbeat.
* ``BINNR_JOB_STALE_SECONDS`` (120): a ``running`` job whose heartbeat is older than this is
  marked ``interrupted``. Must be several heartbeats long.
* ``BINNR_CELERY_ALLOW_DUCKDB`` (false): see :func:`check_duckdb`.

``celery -A binnr.cli.celery_target inspect active`` works too.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from typing import Any

import sqlalchemy as sa
from celery import Celery, signals
from pydantic_settings import BaseSettings, SettingsConfigDict

from binnr.errors import ConfigError, NotFound
from binnr.jobs.kinds import KindTable
from binnr.jobs.runner import run_job
from binnr.jobs.store import JobStore, job_store_url, jobs_table
from binnr.settings import Settings

log = logging.getLogger(__name__)

#: The one Celery task: ``binnr.run_job(job_id)``.
TASK_NAME = "binnr.run_job"


class CeleryOptions(BaseSettings):
    """Celery-engine options read from ``BINNR_*`` variables (see the module docstring)."""

    model_config = SettingsConfigDict(env_prefix="BINNR_", env_file=".env", extra="ignore")

    celery_queue: str = "binnr"
    celery_visibility_timeout: float = 12 * 3600.0
    celery_allow_duckdb: bool = False
    job_heartbeat_seconds: float = 10.0
    job_stale_seconds: float = 120.0


# -- start-up checks -------------------------------------------------------------------------
def check_duckdb(settings: Settings, options: CeleryOptions, *, role: str) -> None:
    """Refuse Celery worker processes with a DuckDB warehouse.

    DuckDB lets one process open a database file read-write, so jobs that touch the warehouse
    cannot run in separate worker processes next to the server. ``role`` is ``"server"`` (the
    engine) or ``"worker"`` (``binnr worker``). Allowed when:

    * the warehouse is Snowflake;
    * ``role == "server"`` and ``BINNR_CELERY_IN_PROCESS=true``: the server runs the Celery
      worker threads itself, so only one process opens the file;
    * ``BINNR_CELERY_ALLOW_DUCKDB=true``: an explicit override for setups where the worker
      processes never open the DuckDB file (tests, benchmarks with the ``sleep`` job).
    """
    if settings.warehouse_kind != "duckdb" or options.celery_allow_duckdb:
        return
    if role == "server" and settings.celery_in_process:
        return
    raise ConfigError(
        "The Celery engine cannot run DuckDB jobs in separate worker processes: "
        "DuckDB allows one process per database file.",
        hint=(
            "Use Snowflake (SNOWFLAKE_CONFIG), or set BINNR_CELERY_IN_PROCESS=true to run the "
            "workers inside the server process (then do not start `binnr worker`). "
            "BINNR_CELERY_ALLOW_DUCKDB=true overrides this check when workers never open "
            "the DuckDB file."
        ),
    )


# -- the app ----------------------------------------------------------------------------------
def make_celery_app(
    settings: Settings,
    *,
    kinds: KindTable,
    options: CeleryOptions | None = None,
    store: JobStore | None = None,
) -> Celery:
    """A Celery app for ``settings`` with the ``binnr.run_job`` task registered.

    ``store`` is used by tasks run in this process; by default each process opens one store
    for the configured ``BINNR_JOB_STORE`` on first use.
    """
    if not settings.celery_broker_url:
        raise ConfigError(
            "The Celery engine needs a broker.", hint="Set CELERY_BROKER_URL (e.g. redis://...)."
        )
    options = options or CeleryOptions()
    app = Celery("binnr", broker=settings.celery_broker_url, set_as_current=False)
    app.conf.update(_celery_config(settings, options))
    holder = _StoreHolder(settings, store)

    @app.task(name=TASK_NAME, shared=False, ignore_result=not settings.celery_result_backend)
    def run_job_task(job_id: str) -> str:
        """Run one stored job (the message carries its id only)."""
        return execute_job(
            job_id, store=holder.get(), settings=settings, kinds=kinds, options=options
        )

    def on_worker_init(sender: Any = None, **_: Any) -> None:
        if getattr(sender, "app", None) is app:
            store = holder.get()
            reap_stale(store, options.job_stale_seconds)
            sweep = partial(run_sweep, kinds, settings, store)
            sweep()
            start_reaper(store, options, after=sweep)

    signals.worker_init.connect(on_worker_init, weak=False)
    return app


def _celery_config(settings: Settings, options: CeleryOptions) -> dict[str, Any]:
    return {
        "result_backend": settings.celery_result_backend,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": False,
        "worker_prefetch_multiplier": 1,
        "worker_pool": "threads",
        "broker_transport_options": {"visibility_timeout": options.celery_visibility_timeout},
        "result_backend_transport_options": {
            "visibility_timeout": options.celery_visibility_timeout
        },
        "broker_connection_retry_on_startup": True,
        "task_default_queue": options.celery_queue,
        "result_expires": 24 * 3600,
        "worker_hijack_root_logger": False,
        "enable_utc": True,
    }


class _StoreHolder:
    """One job store per process, opened on first use."""

    def __init__(self, settings: Settings, store: JobStore | None) -> None:
        self._settings = settings
        self._store = store
        self._lock = threading.Lock()

    def get(self) -> JobStore:
        with self._lock:
            if self._store is None:
                self._store = JobStore(job_store_url(self._settings))
            return self._store


# -- running a job in a worker ----------------------------------------------------------------
def execute_job(
    job_id: str, *, store: JobStore, settings: Settings, kinds: KindTable, options: CeleryOptions
) -> str:
    """The task body: run a queued job with a heartbeat thread; returns the final state.

    A message whose job is no longer ``queued`` (cancelled, interrupted, redelivered after it
    ran) is acknowledged and ignored.
    """
    try:
        record = store.get(job_id)
    except NotFound:
        log.warning("job %s: no record in the job store; message dropped", job_id)
        return "missing"
    if record.state != "queued":
        log.info("job %s is %s; not running it", job_id, record.state)
        return record.state
    with heartbeat(store, job_id, every=options.job_heartbeat_seconds):
        run_job(job_id, store=store, settings=settings, kinds=kinds)
    return store.get(job_id).state


def touch(store: JobStore, job_id: str) -> None:
    """Move a running job's heartbeat to now."""
    stmt = (
        sa.update(jobs_table)
        .where(jobs_table.c.id == job_id, jobs_table.c.state == "running")
        .values(heartbeat_at=datetime.now(UTC))
    )
    with store.engine.begin() as conn:
        conn.execute(stmt)


@contextmanager
def heartbeat(store: JobStore, job_id: str, *, every: float) -> Iterator[None]:
    """Touch the job's heartbeat every ``every`` seconds while the block runs.

    Progress updates are heartbeats too; this covers long silent phases.
    """
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every):
            try:
                touch(store, job_id)
            except Exception:  # a missed beat is not fatal; the next one may succeed
                log.warning("job %s: heartbeat failed", job_id, exc_info=True)

    thread = threading.Thread(target=beat, name=f"binnr-heartbeat-{job_id[:8]}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


# -- stale jobs -------------------------------------------------------------------------------
def reap_stale(store: JobStore, stale_after: float) -> int:
    """Mark ``running`` jobs whose heartbeat is older than ``stale_after`` s ``interrupted``."""
    count = store.interrupt(states=("running",), stale_after=stale_after)
    if count:
        log.warning("marked %d job(s) interrupted: no heartbeat for %.0f s", count, stale_after)
    return count


def run_sweep(kinds: KindTable, settings: Settings, store: JobStore) -> None:
    """The kind table's sweep of what killed jobs left behind; a failure is only logged."""
    if kinds.sweep is not None:
        try:
            kinds.sweep(settings, store.active())
        except Exception:
            log.warning("sweeping leftovers of interrupted jobs failed", exc_info=True)


class Reaper:
    """A thread that calls :func:`reap_stale`, then ``after``, every ``stale_after / 2`` s."""

    def __init__(
        self, store: JobStore, options: CeleryOptions, after: Callable[[], None] | None = None
    ) -> None:
        self.store = store
        self.after = after
        self.stale_after = options.job_stale_seconds
        self.interval = max(0.2, min(self.stale_after / 2, 60.0))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="binnr-reaper", daemon=True)

    def start(self) -> Reaper:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                reap_stale(self.store, self.stale_after)
            except Exception:
                log.warning("reaping stale jobs failed", exc_info=True)
            if self.after is not None:
                self.after()


_reapers: dict[str, Reaper] = {}
_reapers_lock = threading.Lock()


def start_reaper(
    store: JobStore, options: CeleryOptions, after: Callable[[], None] | None = None
) -> Reaper:
    """The process's reaper for ``store``'s database (started once per URL)."""
    with _reapers_lock:
        reaper = _reapers.get(store.url)
        if reaper is None or not reaper._thread.is_alive():
            reaper = _reapers[store.url] = Reaper(store, options, after).start()
        return reaper


def stop_reaper(store: JobStore) -> None:
    """Stop the reaper for ``store``'s database, if any."""
    with _reapers_lock:
        reaper = _reapers.pop(store.url, None)
    if reaper is not None:
        reaper.stop()
