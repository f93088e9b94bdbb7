"""``BINNR_JOB_TIMEOUT``: a job that runs past it ends ``failed`` with the reason."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from binnr.errors import JobCancelled, JobTimeout
from binnr.jobs.runner import run_job
from binnr.jobs.store import JobStore
from binnr.progress import Reporter
from binnr.services.job_table import JOB_KINDS
from binnr.settings import Settings


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_reporter_raises_job_timeout_once_the_limit_passes() -> None:
    clock = Clock()
    reporter = Reporter(lambda _: None, lambda: False, clock=clock, time_limit=10)
    clock.now = 9.9
    reporter.check_cancelled()
    clock.now = 10.1
    with pytest.raises(JobTimeout, match="time limit of 10 s") as info:
        reporter.check_cancelled()
    assert "BINNR_JOB_TIMEOUT" in info.value.hint
    assert not isinstance(info.value, JobCancelled)  # a timeout is a failure, not a cancel


def test_no_limit_never_times_out() -> None:
    clock = Clock()
    reporter = Reporter(lambda _: None, lambda: False, clock=clock, time_limit=None)
    clock.now = 1e9
    reporter.check_cancelled()


def test_a_runaway_job_fails_with_the_reason(tmp_path: Path) -> None:
    store = JobStore(f"sqlite:///{tmp_path / 'jobs.sqlite3'}")
    settings = Settings(home=tmp_path, job_timeout=0.5)
    record = store.create(kind="sleep", params={"seconds": 60, "steps": 600})
    started = time.monotonic()
    run_job(record.id, store=store, settings=settings, kinds=JOB_KINDS)
    assert time.monotonic() - started < 10
    job = store.get(record.id)
    assert job.state == "failed"
    assert job.error is not None and job.error.type == "JobTimeout"
    assert "0.5 s" in job.error.message and "BINNR_JOB_TIMEOUT" in job.error.hint


def test_zero_means_no_limit(tmp_path: Path) -> None:
    store = JobStore(f"sqlite:///{tmp_path / 'jobs.sqlite3'}")
    record = store.create(kind="sleep", params={"seconds": 0.3, "steps": 3})
    run_job(
        record.id, store=store, settings=Settings(home=tmp_path, job_timeout=0), kinds=JOB_KINDS
    )
    assert store.get(record.id).state == "succeeded"
