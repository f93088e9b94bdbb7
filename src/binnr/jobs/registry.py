"""Job kinds: a name → function table. Job functions take JSON-serialisable parameters."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from binnr.errors import InvalidInput
from binnr.jobs.progress import NullProgress, Progress
from binnr.settings import Settings

if TYPE_CHECKING:
    from binnr.models.registry import ModelRegistry
    from binnr.warehouse.base import Warehouse


@dataclass
class JobContext:
    """What a job function gets besides its parameters."""

    job_id: str
    settings: Settings
    progress: Progress = field(default_factory=NullProgress)

    @cached_property
    def warehouse(self) -> Warehouse:
        """The process's warehouse connection."""
        from binnr.warehouse.factory import get_warehouse

        return get_warehouse(self.settings)

    @cached_property
    def registry(self) -> ModelRegistry:
        """The model registry under ``BINNR_HOME/models``."""
        from binnr.models.registry import ModelRegistry

        return ModelRegistry(self.settings.models_dir)


JobFn = Callable[[JobContext, dict[str, Any]], dict[str, Any]]

_JOBS: dict[str, JobFn] = {}

#: Modules that register job kinds when imported (kept light: heavy ML imports stay inside the
#: job functions).
JOB_MODULES = (
    "binnr.services.upload",
    "binnr.services.tables",
    "binnr.services.builtin_jobs",
    "binnr.services.gbm",
    "binnr.services.llm",
    "binnr.services.llm_predict",
    "binnr.services.cluster",
)


def job(kind: str) -> Callable[[JobFn], JobFn]:
    """Register a job function under ``kind``."""

    def register(fn: JobFn) -> JobFn:
        _JOBS[kind] = fn
        return fn

    return register


def load_job_modules() -> None:
    """Import every module that registers job kinds."""
    for name in JOB_MODULES:
        importlib.import_module(name)


def get_job(kind: str) -> JobFn:
    """The function for ``kind``."""
    load_job_modules()
    try:
        return _JOBS[kind]
    except KeyError:
        raise InvalidInput(
            f"Unknown job kind {kind!r}.", hint=f"Known kinds: {', '.join(sorted(_JOBS))}."
        ) from None


def job_kinds() -> list[str]:
    """Every registered kind, sorted."""
    load_job_modules()
    return sorted(_JOBS)
