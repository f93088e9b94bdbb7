"""Removing what a killed process leaves behind: temporary uploads and staging tables.

A ``kill -9`` during an upload leaves its temporary file under ``uploads/``; one during a table
build leaves ``__stg_…`` tables, which the API hides and cannot drop. The server sweeps both at
start-up and Celery workers sweep on their reaper's timer. What a queued or running job still
needs is kept: its upload file, and every staging table while any job is active (a staging name
does not say which job made it).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from binnr.backends.factory import get_warehouse
from binnr.jobs.records import JobRecord
from binnr.settings import Settings
from binnr.warehouse.base import Warehouse

log = logging.getLogger(__name__)


@dataclass
class Cleaned:
    """What one sweep removed: upload file names and staging tables (``db.schema.table``)."""

    files: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)


def startup_sweep(settings: Settings, active: Sequence[JobRecord]) -> Cleaned:
    """The server's sweep at start-up.

    With the in-process engine this process owns ``BINNR_HOME``, so every upload file not named
    by an active job is a leftover; with Celery another web process may be streaming one, so
    only files untouched for ``BINNR_UPLOAD_LEFTOVER_MINUTES`` go.
    """
    grace = settings.upload_leftover_minutes * 60 if settings.celery_broker_url else 0.0
    return sweep_leftovers(settings, active, min_age_s=grace)


def worker_sweep(settings: Settings, active: Sequence[JobRecord]) -> Cleaned:
    """A Celery worker's periodic sweep (uploads untouched for the configured minutes)."""
    return sweep_leftovers(settings, active, min_age_s=settings.upload_leftover_minutes * 60)


def sweep_leftovers(
    settings: Settings,
    active: Sequence[JobRecord],
    *,
    min_age_s: float = 0.0,
    warehouse: Warehouse | None = None,
) -> Cleaned:
    """Remove leftover upload files and, when no job is active, every staging table."""
    cleaned = Cleaned(files=_remove_uploads(settings.uploads_dir, active, min_age_s))
    if not active:
        cleaned.tables = _drop_staging(warehouse or get_warehouse(settings))
    if cleaned.files or cleaned.tables:
        log.warning(
            "removed leftovers of interrupted jobs: %d upload file(s) %s, %d staging table(s) %s",
            len(cleaned.files),
            cleaned.files,
            len(cleaned.tables),
            cleaned.tables,
        )
    return cleaned


def _in_use(active: Sequence[JobRecord]) -> set[str]:
    names = set()
    for record in active:
        path = record.params.get("path")
        if isinstance(path, str):
            names.update({Path(path).name, Path(path).name + ".utf8"})
    return names


def _remove_uploads(folder: Path, active: Sequence[JobRecord], min_age_s: float) -> list[str]:
    if not folder.is_dir():
        return []
    keep, now, removed = _in_use(active), time.time(), []
    for path in sorted(folder.iterdir()):
        try:
            if not path.is_file() or path.name in keep or now - path.stat().st_mtime < min_age_s:
                continue
            path.unlink()
        except FileNotFoundError:  # a job finished and removed it meanwhile
            continue
        removed.append(path.name)
    return removed


def _drop_staging(warehouse: Warehouse) -> list[str]:
    dropped = []
    for ref in warehouse.staging_tables():
        warehouse.drop_table(ref)
        dropped.append(str(ref))
    return dropped
