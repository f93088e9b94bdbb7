"""What a job function gets besides its parameters."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from binnr.backends.factory import get_warehouse
from binnr.models.registry import ModelRegistry
from binnr.progress import NullProgress, Progress
from binnr.settings import Settings
from binnr.warehouse.base import Warehouse


@dataclass
class JobContext:
    """The job's id, settings and progress, and the process's warehouse and model registry."""

    job_id: str
    settings: Settings
    progress: Progress = field(default_factory=NullProgress)

    @cached_property
    def warehouse(self) -> Warehouse:
        """The process's warehouse connection."""
        return get_warehouse(self.settings)

    @cached_property
    def models(self) -> ModelRegistry:
        """The model registry under ``BINNR_HOME/models``."""
        return ModelRegistry(self.settings.models_dir)
