"""The one small progress API every job function reports through.

A job splits its work into named phases (``phase``), reports progress inside a phase
(``update``) and calls ``check_cancelled`` at safe points so cancel is cooperative. The same
call enforces the job's time limit (``BINNR_JOB_TIMEOUT``): every long-running loop calls it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from binnr.errors import JobCancelled, JobTimeout


@dataclass
class ProgressState:
    """What a job record shows as ``progress``."""

    phase: str = "queued"
    phase_index: int = 0
    phase_total: int = 1
    percent: float = 0.0
    message: str = ""
    eta_seconds: float | None = None
    metrics: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Progress(Protocol):
    """What a job function receives to report progress."""

    def phase(self, name: str, *, index: int, total: int) -> None:
        """Enter phase ``index`` (1-based) of ``total``."""

    def update(
        self,
        *,
        done: float | None = None,
        total: float | None = None,
        message: str | None = None,
        metrics: Mapping[str, Any] | None = None,
    ) -> None:
        """Report ``done`` of ``total`` units in the current phase (ETA is derived)."""

    def check_cancelled(self) -> None:
        """Raise :class:`JobCancelled` if a cancel was requested."""


class NullProgress:
    """Progress that goes nowhere; for library use and tests."""

    def phase(self, name: str, *, index: int, total: int) -> None:
        return None

    def update(
        self,
        *,
        done: float | None = None,
        total: float | None = None,
        message: str | None = None,
        metrics: Mapping[str, Any] | None = None,
    ) -> None:
        return None

    def check_cancelled(self) -> None:
        return None


class Reporter:
    """A :class:`Progress` that keeps a :class:`ProgressState` and pushes it to a sink.

    ``sink`` persists the state (rate-limited to ``min_interval`` seconds, phase changes always
    go through); ``is_cancelled`` is polled by ``check_cancelled``, which also raises
    :class:`JobTimeout` once ``time_limit`` seconds (None: no limit) have passed.
    """

    def __init__(
        self,
        sink: Callable[[ProgressState], None],
        is_cancelled: Callable[[], bool],
        *,
        min_interval: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        time_limit: float | None = None,
    ) -> None:
        self.state = ProgressState(phase="starting")
        self._sink = sink
        self._is_cancelled = is_cancelled
        self._min_interval = min_interval
        self._clock = clock
        self._phase_started = clock()
        self._last_push = 0.0
        self._last_cancel_poll = 0.0
        self._time_limit = time_limit
        self._deadline = clock() + time_limit if time_limit else None

    def phase(self, name: str, *, index: int, total: int) -> None:
        self.state.phase, self.state.phase_index, self.state.phase_total = name, index, total
        self.state.message, self.state.eta_seconds = "", None
        self.state.percent = self._overall(0.0)
        self._phase_started = self._clock()
        self._push(force=True)

    def update(
        self,
        *,
        done: float | None = None,
        total: float | None = None,
        message: str | None = None,
        metrics: Mapping[str, Any] | None = None,
    ) -> None:
        if message is not None:
            self.state.message = message
        if metrics:
            self.state.metrics.update(metrics)
        if done is not None and total:
            fraction = max(0.0, min(1.0, done / total))
            self.state.percent = self._overall(fraction)
            elapsed = self._clock() - self._phase_started
            self.state.eta_seconds = (
                round(elapsed * (1 - fraction) / fraction, 1) if fraction > 0 else None
            )
        self._push(force=False)

    def check_cancelled(self) -> None:
        now = self._clock()
        if self._deadline is not None and now > self._deadline:
            raise JobTimeout(
                f"The job ran longer than its time limit of {self._time_limit:g} s "
                "(BINNR_JOB_TIMEOUT) and was stopped."
            )
        if now - self._last_cancel_poll < 0.2:
            return
        self._last_cancel_poll = now
        if self._is_cancelled():
            raise JobCancelled("The job was cancelled on request.")

    def finish(self) -> None:
        self.state.percent, self.state.eta_seconds = 100.0, 0.0
        self.state.phase = "done"
        self._push(force=True)

    def _overall(self, fraction: float) -> float:
        total = max(self.state.phase_total, 1)
        index = max(self.state.phase_index, 1)
        return round(100.0 * ((index - 1) + fraction) / total, 1)

    def _push(self, *, force: bool) -> None:
        now = self._clock()
        if force or now - self._last_push >= self._min_interval:
            self._last_push = now
            self._sink(self.state)
