"""Caps on work done inside a request (not in a job): the free prompt generates on this CPU.

A request beyond the cap waits up to :data:`PROMPT_WAIT_SECONDS` for a slot, then gets 429, so
a burst of prompts queues briefly instead of starving the jobs and the other requests.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request

from binnr.errors import TooManyRequests
from binnr.settings import Settings

PROMPT_WAIT_SECONDS = 5.0


class Slots:
    """A process-wide counting semaphore with a bounded wait."""

    def __init__(self, size: int, *, wait: float, what: str) -> None:
        self._semaphore = threading.BoundedSemaphore(size)
        self.size, self.wait, self.what = size, wait, what

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Hold one slot for the block, or raise :class:`TooManyRequests` after ``wait``."""
        if not self._semaphore.acquire(timeout=self.wait):
            raise TooManyRequests(
                f"All {self.size} {self.what} slot(s) are busy; waited {self.wait:g} s.",
                hint="Retry in a few seconds; the operator can raise BINNR_PROMPT_CONCURRENCY.",
            )
        try:
            yield
        finally:
            self._semaphore.release()


def install_limits(app: FastAPI, settings: Settings) -> None:
    """Create the app's slots (one set per app, shared by every request thread)."""
    app.state.prompt_slots = Slots(
        settings.prompt_concurrency, wait=PROMPT_WAIT_SECONDS, what="free-prompt"
    )


def _prompt_slots(request: Request) -> Slots:
    slots: Slots = request.app.state.prompt_slots
    return slots


PromptSlotsDep = Annotated[Slots, Depends(_prompt_slots)]
