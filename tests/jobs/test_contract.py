"""The JobEngine contract, asserted identically for every engine.

Engines (see ``conftest.engine``): ``inprocess`` (thread pool), ``celery`` (a real
``binnr worker`` subprocess on a real Redis, shared SQLite job store) and ``celery-embedded``
(``BINNR_CELERY_IN_PROCESS=true``: a Celery worker thread inside this process). Each has two
job slots, which the queued-cancel test fills.
"""

from __future__ import annotations

import os
import time

import pytest

from binnr.errors import Conflict, InvalidInput, NotFound
from binnr.jobs.engine import JobEngine
from tests.support.celery import wait_for

LONG = {"seconds": 30.0, "steps": 300}  # cancellable within ~0.1 s


def test_sleep_job_succeeds_with_result(engine: JobEngine) -> None:
    record = engine.submit(kind="sleep", params={"seconds": 0.2, "steps": 2})
    assert record.state == "queued"
    done = wait_for(engine, record.id)
    assert done.state == "succeeded", done
    assert done.result == {"slept": 0.2, "steps": 2}
    assert done.progress["percent"] == 100.0
    assert done.started_at and done.finished_at and done.worker


def test_progress_visible_while_running(engine: JobEngine) -> None:
    record = engine.submit(kind="sleep", params={"seconds": 3.0, "steps": 30})
    deadline = time.monotonic() + 15
    seen = engine.get(record.id)
    while not (seen.state == "running" and seen.progress.get("percent", 0) > 0):
        assert time.monotonic() < deadline, seen
        assert seen.state in ("queued", "running"), seen
        time.sleep(0.05)
        seen = engine.get(record.id)
    assert seen.progress["phase"] == "sleep"
    assert seen.progress["message"].startswith("step ")
    assert seen.heartbeat_at is not None
    engine.cancel(record.id)
    assert wait_for(engine, record.id).state == "cancelled"


def test_list_active_lists_running_job(engine: JobEngine) -> None:
    record = engine.submit(kind="sleep", params=LONG)
    wait_for(engine, record.id, ("running",))
    active = {r.id: r.state for r in engine.list_active()}
    assert active.get(record.id) == "running"
    engine.cancel(record.id)
    wait_for(engine, record.id)
    assert record.id not in {r.id for r in engine.list_active()}


def test_cancel_running_job(engine: JobEngine) -> None:
    record = engine.submit(kind="sleep", params=LONG)
    wait_for(engine, record.id, ("running",))
    flagged = engine.cancel(record.id)
    assert flagged.cancel_requested and flagged.state == "running"
    done = wait_for(engine, record.id, timeout=5)
    assert done.state == "cancelled"
    assert done.error is not None and done.error.type == "JobCancelled"
    with pytest.raises(Conflict):
        engine.cancel(record.id)


def test_cancel_queued_job(engine: JobEngine) -> None:
    blockers = [engine.submit(kind="sleep", params=LONG) for _ in range(2)]
    for blocker in blockers:
        wait_for(engine, blocker.id, ("running",))
    queued = engine.submit(kind="sleep", params={"seconds": 0.0})
    time.sleep(0.3)
    assert engine.get(queued.id).state == "queued"
    cancelled = engine.cancel(queued.id)
    assert cancelled.state == "cancelled"
    for blocker in blockers:
        engine.cancel(blocker.id)
    for blocker in blockers:
        assert wait_for(engine, blocker.id).state == "cancelled"
    time.sleep(0.3)  # a freed slot would pick the cancelled job up now if it were still queued
    final = engine.get(queued.id)
    assert final.state == "cancelled" and final.started_at is None


def test_unknown_job_is_not_found(engine: JobEngine) -> None:
    with pytest.raises(NotFound):
        engine.get("no-such-job")
    with pytest.raises(NotFound):
        engine.cancel("no-such-job")


def test_unknown_kind_is_refused(engine: JobEngine) -> None:
    with pytest.raises(InvalidInput):
        engine.submit(kind="no-such-kind", params={})


def test_unknown_parameters_are_refused_at_submit(engine: JobEngine) -> None:
    with pytest.raises(InvalidInput, match=r"sleep job: i: Extra inputs"):
        engine.submit(kind="sleep", params={"seconds": 0.0, "i": 1})


def test_fifty_queued_jobs_all_finish(engine: JobEngine) -> None:
    # ``steps`` tags each job: every record must keep its own parameters.
    records = [
        engine.submit(kind="sleep", params={"seconds": 0.0, "steps": i + 1}) for i in range(50)
    ]
    for record in records:
        done = wait_for(engine, record.id, timeout=60)
        assert done.state == "succeeded", done
        assert done.params["steps"] == records.index(record) + 1
        assert done.result == {"slept": 0.0, "steps": done.params["steps"]}


def test_running_job_names_its_worker(engine: JobEngine) -> None:
    """Celery: ``workers()`` (``inspect().active()``) sees the running job; in-process: the
    record names a thread of this process."""
    from binnr.jobs.celery_engine import CeleryEngine

    record = engine.submit(kind="sleep", params=LONG)
    running = wait_for(engine, record.id, ("running",))
    if isinstance(engine, CeleryEngine):
        nodes = engine.workers(timeout=2.0)
        assert any(record.id in ids for ids in nodes.values()), nodes
    else:
        assert running.worker and f":{os.getpid()}:binnr-job" in running.worker, running.worker
    engine.cancel(record.id)
    wait_for(engine, record.id)
