"""A real :class:`binnr.progress.Progress` for tests: keeps what it was told, cancels on cue."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from binnr.errors import JobCancelled


@dataclass
class Recorder:
    """Records phases and updates. Cancels once ``cancel_after`` updates were reported, or on
    the check after ``cancel_after_checks`` checks (for code that checks more than it reports)."""

    cancel_after: int | None = None
    cancel_after_checks: int | None = None
    phases: list[str] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    checks: int = 0

    @property
    def metrics(self) -> list[dict[str, Any]]:
        """The non-empty metrics of every update, in order."""
        return [u["metrics"] for u in self.updates if u["metrics"]]

    def phase(self, name: str, *, index: int, total: int) -> None:
        self.phases.append(name)

    def update(
        self,
        *,
        done: float | None = None,
        total: float | None = None,
        message: str | None = None,
        metrics: Mapping[str, Any] | None = None,
    ) -> None:
        self.updates.append(
            {"done": done, "total": total, "message": message, "metrics": dict(metrics or {})}
        )

    def check_cancelled(self) -> None:
        self.checks += 1
        if self.cancel_after is not None and len(self.updates) >= self.cancel_after:
            raise JobCancelled("cancelled by the test")
        if self.cancel_after_checks is not None and self.checks > self.cancel_after_checks:
            raise JobCancelled("cancelled by the test")
