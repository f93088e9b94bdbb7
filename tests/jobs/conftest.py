"""Fixtures for the job-engine tests: the engine under contract, and a job store.

Redis and the worker processes come from :mod:`tests.support.celery`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from binnr.jobs.celery_engine import CeleryEngine
from binnr.jobs.engine import InProcessEngine, JobEngine
from binnr.jobs.store import JobStore
from binnr.services.job_table import JOB_KINDS
from tests.support.celery import Workers, make_options, make_settings, worker_env


@pytest.fixture
def store(tmp_path: Path) -> JobStore:
    """A job store in a fresh SQLite file."""
    return JobStore(f"sqlite:///{tmp_path / 'jobs.sqlite3'}")


@pytest.fixture(
    scope="module",
    params=[
        "inprocess",
        pytest.param("celery", marks=pytest.mark.celery),
        pytest.param("celery-embedded", marks=pytest.mark.celery),
    ],
)
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[JobEngine]:
    """The contract's subject: each engine kind, with two job slots."""
    tmp = tmp_path_factory.mktemp(request.param)
    store = JobStore(f"sqlite:///{tmp / 'jobs.sqlite3'}")
    if request.param == "inprocess":
        settings = make_settings(tmp / "home", store.url)
        yield InProcessEngine(store=store, settings=settings, kinds=JOB_KINDS)
        return
    broker = request.getfixturevalue("redis_url")
    settings = make_settings(tmp / "home", store.url, broker)
    options = make_options(f"contract-{request.param}")
    workers = Workers(worker_env(settings, options), tmp)
    if request.param == "celery-embedded":
        settings = settings.model_copy(update={"celery_in_process": True})
    else:
        workers.start(concurrency=2)
    eng = CeleryEngine(store=store, settings=settings, kinds=JOB_KINDS, options=options)
    try:
        yield eng
    finally:
        eng.shutdown()
        workers.close()
