"""run_isolated: the work runs in another process, progress comes back, errors keep their
hint, and a cancel ends the child at once."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

import pytest

from binnr.errors import InvalidInput, JobCancelled
from binnr.jobs.isolated import run_isolated
from binnr.progress import Progress


class Recorder:
    def __init__(self, cancel_after: float | None = None) -> None:
        self.events: list[tuple[str, Any]] = []
        self.cancel_at = None if cancel_after is None else time.monotonic() + cancel_after

    def phase(self, name: str, *, index: int, total: int) -> None:
        self.events.append(("phase", (name, index, total)))

    def update(
        self,
        *,
        done: float | None = None,
        total: float | None = None,
        message: str | None = None,
        metrics: Mapping[str, Any] | None = None,
    ) -> None:
        self.events.append(("update", (done, total, message, metrics)))

    def check_cancelled(self) -> None:
        if self.cancel_at is not None and time.monotonic() > self.cancel_at:
            raise JobCancelled("cancelled")


def work(*, n: int, progress: Progress) -> dict[str, int]:
    progress.phase("count", index=1, total=1)
    progress.update(done=n, total=n, metrics={"n": n})
    return {"pid": os.getpid(), "n": n}


def refuse(*, progress: Progress) -> None:
    raise InvalidInput("no good", hint="do better")


def crash(*, progress: Progress) -> None:
    raise ValueError("boom")


def forever(*, progress: Progress) -> None:
    while True:
        time.sleep(0.05)


def test_runs_in_a_child_and_relays_progress() -> None:
    recorder = Recorder()
    result = run_isolated(work, progress=recorder, n=3)
    assert result["n"] == 3 and result["pid"] != os.getpid()
    assert recorder.events == [("phase", ("count", 1, 1)), ("update", (3, 3, None, {"n": 3}))]


def test_errors_come_back_with_their_type_and_hint() -> None:
    with pytest.raises(InvalidInput) as caught:
        run_isolated(refuse, progress=Recorder())
    assert caught.value.message == "no good" and caught.value.hint == "do better"
    with pytest.raises(ValueError, match="boom"):
        run_isolated(crash, progress=Recorder())


def test_cancel_ends_the_child() -> None:
    start = time.monotonic()
    with pytest.raises(JobCancelled):
        run_isolated(forever, progress=Recorder(cancel_after=0.5))
    assert time.monotonic() - start < 30
