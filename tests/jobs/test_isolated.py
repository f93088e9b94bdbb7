"""run_isolated: the work runs in another process, progress comes back, errors keep their
hint, and a cancel ends the child at once."""

from __future__ import annotations

import os
import time

import pytest

from binnr.errors import InvalidInput, JobCancelled
from binnr.jobs.isolated import run_isolated
from binnr.progress import Progress
from tests.support.progress import Recorder


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
    assert recorder.phases == ["count"]
    assert recorder.updates == [{"done": 3, "total": 3, "message": None, "metrics": {"n": 3}}]


def test_errors_come_back_with_their_type_and_hint() -> None:
    with pytest.raises(InvalidInput) as caught:
        run_isolated(refuse, progress=Recorder())
    assert caught.value.message == "no good" and caught.value.hint == "do better"
    with pytest.raises(ValueError, match="boom"):
        run_isolated(crash, progress=Recorder())


def test_cancel_ends_the_child() -> None:
    start = time.monotonic()
    with pytest.raises(JobCancelled):
        run_isolated(forever, progress=Recorder(cancel_after_checks=1))
    assert time.monotonic() - start < 30
