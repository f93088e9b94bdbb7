"""More processes for local LLM prediction: packs are scored by the caller and by helpers.

Why processes: a forward pass of a small model runs the transformer's Python code between
many small operators, holding the interpreter lock. Measured on 2 cores with SmolLM2-135M
(bf16): one process scores 29 rows/s with one torch thread and no more with two; two Python
threads with one torch thread each, 14–18 rows/s (they queue for the lock); two processes
with one torch thread each, 52 rows/s together. So a :class:`Helper` is a spawned process
holding its own copy of the model (loaded by the caller's ``load`` function: same files,
same precision, same merged adapter), and :func:`score_packs` hands packs out one at a time
to whichever of the caller and its helpers is free.

A helper that fails is dropped for the rest of the call and its packs are scored by the
caller, so a prediction never fails because a helper did.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection
from typing import Any

import numpy as np
import torch

from binnr.children import spawn
from binnr.models.llm.scoring import LabelScorer

#: Packs a helper holds at once: one being scored and one waiting, so it never idles between
#: two messages.
IN_FLIGHT = 2

ModelLoader = Callable[[], Any]


class Helper:
    """One spawned process that scores packs with its own model copy at one torch thread."""

    def __init__(self, load: ModelLoader) -> None:
        mp = spawn()
        self._conn, theirs = mp.Pipe()
        self._process = mp.Process(target=_serve, args=(load, theirs), daemon=True)
        self._process.start()
        theirs.close()
        self.pending: dict[int, list[int]] = {}
        self.state = "loading"  # then "ready" or "failed"

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Whether the model is loaded, waiting up to ``timeout`` seconds (None: until known)."""
        if self.state == "loading" and self._conn.poll(timeout):  # a dead helper reads as EOF
            message = self._receive()
            self.state = "ready" if message is not None and message[0] == "ready" else "failed"
        return self.state == "ready"

    def begin(self, completions: Sequence[Sequence[int]], shared: Sequence[int]) -> None:
        self.pending.clear()
        self._conn.send(("begin", [list(c) for c in completions], list(shared)))

    def submit(self, key: int, rows: list[int], tails: list[list[int]]) -> None:
        self.pending[key] = rows  # first: if sending fails, the pack is returned with the rest
        self._conn.send(("pack", key, tails))

    def result(self, timeout: float | None) -> tuple[int, torch.Tensor] | None:
        """The next finished pack, or None if none arrived within ``timeout``."""
        if not self._conn.poll(timeout):
            return None
        message = self._receive()
        if message is None or message[0] != "totals":
            raise RuntimeError(f"scoring helper failed: {message!r}")
        return int(message[1]), torch.from_numpy(message[2])

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._conn.send(("stop",))
        self._conn.close()
        self._process.join(timeout=2)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()

    def _receive(self) -> Any:
        try:
            return self._conn.recv()
        except (EOFError, OSError):
            return None


def score_packs(
    scorer: LabelScorer,
    packs: Sequence[list[int]],
    tails: Sequence[Sequence[int]],
    helpers: Sequence[Helper],
    check: Callable[[], None],
) -> Iterator[tuple[list[int], torch.Tensor]]:
    """(rows, label totals) of every pack, in the order they finish.

    ``check`` runs before each pack the caller scores (cancellation). A helper still loading
    joins when it is ready; one that fails gets no more packs and its unfinished ones return
    to the queue.
    """
    shared = _Shared(scorer, packs, tails, helpers)
    try:
        while shared.queue or any(h.pending for h in shared.working):
            shared.admit()
            shared.hand_out()
            if shared.queue:
                check()
                key = shared.queue.popleft()
                yield packs[key], scorer.score([tails[i] for i in packs[key]])
            for helper in list(shared.working):
                yield from shared.collect(helper, block=not shared.queue)
    finally:
        for helper in shared.working:
            if helper.pending:  # left mid-call (cancelled): its late results must not reach
                helper.state = "failed"  # the next call, so it is stopped (and replaced)
                helper.close()


class _Shared:
    """One call's queue of packs, taken from by the caller and its helpers."""

    def __init__(
        self,
        scorer: LabelScorer,
        packs: Sequence[list[int]],
        tails: Sequence[Sequence[int]],
        helpers: Sequence[Helper],
    ) -> None:
        self.scorer, self.packs, self.tails = scorer, packs, tails
        self.queue = deque(range(len(packs)))
        self.waiting = [h for h in helpers if h.state != "failed"]
        self.working: list[Helper] = []

    def admit(self) -> None:
        for helper in list(self.waiting):
            if helper.wait_ready(timeout=0):
                self.working.append(helper)
                try:
                    helper.begin(self.scorer.completions, self.scorer.shared_ids)
                except OSError:
                    self.fail(helper)
            if helper.state != "loading":
                self.waiting.remove(helper)

    def hand_out(self) -> None:
        for helper in list(self.working):
            while self.queue and len(helper.pending) < IN_FLIGHT:
                key = self.queue.popleft()
                try:
                    helper.submit(
                        key, self.packs[key], [list(self.tails[i]) for i in self.packs[key]]
                    )
                except OSError:  # the helper has gone: its packs (this one too) go back
                    self.fail(helper)
                    break

    def collect(self, helper: Helper, *, block: bool) -> Iterator[tuple[list[int], torch.Tensor]]:
        """A helper's finished packs (waiting for the first if ``block``)."""
        timeout: float | None = None if block else 0
        while helper.pending:
            try:
                done = helper.result(timeout)
            except RuntimeError:
                self.fail(helper)
                return
            if done is None:
                return
            key, totals = done
            yield helper.pending.pop(key), totals
            timeout = 0

    def fail(self, helper: Helper) -> None:
        self.queue.extendleft(sorted(helper.pending, reverse=True))
        helper.pending.clear()
        helper.state = "failed"
        self.working.remove(helper)


def _serve(load: ModelLoader, conn: Connection) -> None:
    """A helper's loop: load the model, then score packs until told to stop."""
    torch.set_num_threads(1)
    try:
        model = load()
    except Exception as exc:  # reported to the caller, which scores alone
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready",))
    scorer: LabelScorer | None = None
    while True:
        try:
            message = conn.recv()
        except EOFError:  # the caller has gone
            return
        if message[0] == "stop":
            return
        if message[0] == "begin":
            scorer = LabelScorer(model, completions=message[1], shared=message[2])
            continue
        try:
            assert scorer is not None, "a pack before begin"
            totals = scorer.score(message[2])
        except Exception as exc:
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
            return
        conn.send(("totals", message[1], np.ascontiguousarray(totals.numpy())))
