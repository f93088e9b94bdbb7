"""Pick the job engine from configuration."""

from __future__ import annotations

from binnr.jobs.celery_engine import CeleryEngine
from binnr.jobs.engine import InProcessEngine, JobEngine
from binnr.jobs.kinds import KindTable
from binnr.jobs.store import JobStore, job_store_url
from binnr.settings import Settings


def make_engine(settings: Settings, *, kinds: KindTable) -> JobEngine:
    """In-process by default; Celery when ``CELERY_BROKER_URL`` is set."""
    store = JobStore(job_store_url(settings))
    if settings.celery_broker_url:
        return CeleryEngine(store=store, settings=settings, kinds=kinds)
    return InProcessEngine(store=store, settings=settings, kinds=kinds)
