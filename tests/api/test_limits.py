"""The free-prompt cap: a process-wide semaphore with a bounded wait, then 429."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from binnr.api.app import create_app
from binnr.api.limits import Slots
from binnr.errors import TooManyRequests, http_status
from binnr.settings import Settings


def test_a_request_beyond_the_cap_waits_then_gets_429() -> None:
    slots = Slots(1, wait=0.2, what="free-prompt")
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with slots.hold():
            held.set()
            release.wait(10)

    worker = threading.Thread(target=hold)
    worker.start()
    held.wait(5)
    started = time.monotonic()
    with pytest.raises(TooManyRequests) as info, slots.hold():
        pass
    assert time.monotonic() - started >= 0.2
    assert http_status(info.value) == 429
    assert "BINNR_PROMPT_CONCURRENCY" in info.value.hint
    release.set()
    worker.join(5)
    with slots.hold():  # freed again, also after an exception inside the block
        pass
    with pytest.raises(RuntimeError), slots.hold():
        raise RuntimeError
    with slots.hold():
        pass


def test_a_waiting_request_gets_the_slot_when_it_frees() -> None:
    slots = Slots(1, wait=5, what="free-prompt")
    held = threading.Event()

    def hold_briefly() -> None:
        with slots.hold():
            held.set()
            time.sleep(0.3)

    thread = threading.Thread(target=hold_briefly)
    thread.start()
    held.wait(5)
    started = time.monotonic()
    with slots.hold():  # waits for the other holder instead of failing
        waited = time.monotonic() - started
    thread.join(5)
    assert 0.1 < waited < 5


def test_the_app_sizes_its_slots_from_the_settings(tmp_path: Path) -> None:
    app = create_app(Settings(home=tmp_path, prompt_concurrency=3))
    assert app.state.prompt_slots.size == 3
    assert create_app(Settings(home=tmp_path)).state.prompt_slots.size == 1
