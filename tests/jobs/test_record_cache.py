"""The store's record cache (in-process engine): reads from memory match the database."""

from __future__ import annotations

from binnr.jobs.store import JobStore


def test_owned_records_are_read_from_memory_and_match_the_database(store: JobStore) -> None:
    assert store.cached_active() is None  # no cache until a process owns the records
    old = store.create(kind="sleep", params={"seconds": 1})
    store.finish(old.id, state="succeeded", result={"slept": 1})
    store.own_records()
    fresh = JobStore(store.url)  # reads the database only

    job = store.create(kind="sleep", params={"seconds": 2})
    assert store.cached(job.id) == fresh.get(job.id)
    assert store.mark_running(job.id, worker="w")
    store.set_progress(job.id, {"phase": "sleep", "percent": 50.0})
    cached = store.cached(job.id)
    assert cached is not None and cached == fresh.get(job.id)
    assert cached.progress["percent"] == 50.0 and cached.state == "running"
    assert store.active() == fresh.active() == [cached]
    store.request_cancel(job.id)
    assert store.is_cancel_requested(job.id) and store.cached(job.id) == fresh.get(job.id)
    store.finish(job.id, state="cancelled")
    assert store.active() == [] and store.cached(job.id) == fresh.get(job.id)

    assert store.cached(old.id) is None  # ended before: read once from the database
    assert store.get(old.id) == fresh.get(old.id) == store.cached(old.id)


def test_watchers_hear_each_write_to_their_job_until_stopped(store: JobStore) -> None:
    job = store.create(kind="sleep", params={"seconds": 2})
    assert store.watch(job.id, lambda: None) is None  # not owned: others' writes go unseen
    store.own_records()
    heard: list[str] = []
    stop = store.watch(job.id, lambda: heard.append("a"))
    other = store.watch("another-job", lambda: heard.append("other"))
    assert stop is not None and other is not None

    def closed_loop() -> None:
        raise RuntimeError("Event loop is closed")

    store.watch(job.id, closed_loop)  # a waiter whose loop is gone is skipped, not fatal
    assert store.mark_running(job.id, worker="w")
    store.set_progress(job.id, {"phase": "sleep", "percent": 50.0})
    assert heard == ["a", "a"]
    stop()
    store.finish(job.id, state="succeeded", result={"slept": 2})
    assert heard == ["a", "a"]
    other()
