"""Fixtures for the job-engine tests: the engine under contract, and a job store.

Every store-backed fixture runs on both databases the README offers: the embedded SQLite file
and PostgreSQL (:mod:`tests.support.postgres`, a real server). Redis and the worker processes
come from :mod:`tests.support.celery`.
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
from tests.support.postgres import fresh_schema_url

STORES = ("sqlite", "postgresql")


def new_store_url(kind: str, folder: Path, request: pytest.FixtureRequest) -> str:
    """An empty job store: a new SQLite file in ``folder``, or a new PostgreSQL schema."""
    if kind == "sqlite":
        return f"sqlite:///{folder / 'jobs.sqlite3'}"
    return fresh_schema_url(request.getfixturevalue("postgres_url"))


@pytest.fixture(params=STORES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty job store, once per database."""
    return new_store_url(request.param, tmp_path, request)


@pytest.fixture
def store(store_url: str) -> JobStore:
    """An empty job store, once per database."""
    return JobStore(store_url)


@pytest.fixture(
    scope="module",
    params=[
        (kind, db)
        if kind == "inprocess"
        else pytest.param((kind, db), marks=pytest.mark.celery, id=f"{kind}-{db}")
        for kind in ("inprocess", "celery", "celery-embedded")
        for db in STORES
    ],
    ids=lambda p: "-".join(p) if isinstance(p, tuple) else str(p),
)
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[JobEngine]:
    """The contract's subject: each engine kind on each job store, with two job slots."""
    kind, db = request.param
    tmp = tmp_path_factory.mktemp(f"{kind}-{db}")
    store = JobStore(new_store_url(db, tmp, request))
    if kind == "inprocess":
        settings = make_settings(tmp / "home", store.url)
        yield InProcessEngine(store=store, settings=settings, kinds=JOB_KINDS)
        return
    broker = request.getfixturevalue("redis_url")
    settings = make_settings(tmp / "home", store.url, broker)
    options = make_options(f"contract-{kind}-{db}")
    workers = Workers(worker_env(settings, options), tmp)
    if kind == "celery-embedded":
        settings = settings.model_copy(update={"celery_in_process": True})
    else:
        workers.start(concurrency=2)
    eng = CeleryEngine(store=store, settings=settings, kinds=JOB_KINDS, options=options)
    try:
        yield eng
    finally:
        eng.shutdown()
        workers.close()
