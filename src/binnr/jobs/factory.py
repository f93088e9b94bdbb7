"""Pick the job engine from configuration."""

from __future__ import annotations

import importlib

from binnr.jobs.engine import InProcessEngine, JobEngine
from binnr.jobs.store import JobStore
from binnr.settings import Settings


def job_store_url(settings: Settings) -> str:
    """``BINNR_JOB_STORE`` or the embedded SQLite file under ``BINNR_HOME``."""
    return settings.job_store or f"sqlite:///{(settings.home / 'jobs.sqlite3').resolve()}"


def make_engine(settings: Settings) -> JobEngine:
    """In-process by default; Celery when ``CELERY_BROKER_URL`` is set."""
    store = JobStore(job_store_url(settings))
    if settings.celery_broker_url:
        module = importlib.import_module("binnr.jobs.celery_engine")
        engine: JobEngine = module.CeleryEngine(store=store, settings=settings)
        return engine
    return InProcessEngine(store=store, settings=settings)
