"""``celery -A binnr.cli.celery_target inspect active``: the Celery app for the settings.

Built on first use, with every job kind, exactly as ``binnr worker`` builds it.
"""

from __future__ import annotations

from functools import lru_cache

from celery import Celery

from binnr.jobs.celery_app import make_celery_app
from binnr.services.job_table import JOB_KINDS
from binnr.settings import get_settings


@lru_cache(maxsize=1)
def default_app() -> Celery:
    """The app for the process-wide settings."""
    return make_celery_app(get_settings(), kinds=JOB_KINDS)


def __getattr__(name: str) -> Celery:
    if name in ("app", "celery"):
        return default_app()
    raise AttributeError(name)
