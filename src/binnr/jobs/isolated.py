"""Run CPU-heavy job work in a child process, off the interpreter that serves the API.

Training a text model spends long stretches in Python and in C code that keeps the interpreter
lock (scikit-learn, SciPy sparse algebra): in a job thread that stalls every request the API
answers meanwhile, for as long as one such call lasts. A child process has its own interpreter.

The child gets plain data (texts, labels, parameters) and returns a picklable result; it cannot
open the DuckDB warehouse (one read-write process per file), so reading and writing tables stay
in the job thread. Its progress reports are relayed to the job's :class:`Progress`; cancel and
the time limit are checked here and end the child at once.
"""

from __future__ import annotations

import contextlib
import os
import pickle
from collections.abc import Callable, Mapping
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from binnr.children import may_start_children, spawn
from binnr.errors import BinnrError
from binnr.progress import Progress

T = TypeVar("T")

#: Added to the child's niceness: when CPUs are short, the API's requests go first. The
#: lowest priority: at 10, a 2-thread LightGBM training still put the status p99 at 39 ms on
#: 2 cores; at 19, 3 ms (bench/status.py --with-load --upload-rows 1000).
CHILD_NICE = 19
#: How often the parent checks for cancel and the time limit while the child is silent.
POLL_SECONDS = 0.5


def run_isolated(fn: Callable[..., T], /, *, progress: Progress, **kwargs: Any) -> T:
    """``fn(**kwargs, progress=…)`` in a fresh child process; its result, or its error."""
    if not may_start_children():
        return fn(**kwargs, progress=progress)
    mp = spawn()
    receiver, sender = mp.Pipe(duplex=False)
    child = mp.Process(target=_child, args=(fn, kwargs, sender), daemon=True)
    child.start()
    sender.close()
    try:
        return _relay(receiver, child, progress)
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()  # cancelled, timed out, or the parent failed: the work is not wanted
        child.join()


def _relay(receiver: Connection, child: Any, progress: Progress) -> Any:
    while True:
        if not receiver.poll(POLL_SECONDS):
            progress.check_cancelled()
            continue
        try:
            message = receiver.recv()
        except EOFError:
            child.join()
            raise RuntimeError(
                f"The training process ended unexpectedly (exit code {child.exitcode})."
            ) from None
        kind = message[0]
        if kind == "phase":
            progress.phase(message[1], index=message[2], total=message[3])
        elif kind == "update":
            progress.update(**message[1])
        elif kind == "result":
            return message[1]
        else:
            raise _rebuild(message[1])


class _RelayProgress:
    """The child's :class:`Progress`: reports go to the parent (which checks for cancel)."""

    def __init__(self, sender: Connection) -> None:
        self._sender = sender

    def phase(self, name: str, *, index: int, total: int) -> None:
        self._sender.send(("phase", name, index, total))

    def update(
        self,
        *,
        done: float | None = None,
        total: float | None = None,
        message: str | None = None,
        metrics: Mapping[str, Any] | None = None,
    ) -> None:
        plain = dict(metrics) if metrics is not None else None  # a plain dict pickles
        fields = {"done": done, "total": total, "message": message, "metrics": plain}
        self._sender.send(("update", fields))

    def check_cancelled(self) -> None:
        return None  # the parent checks, and ends this process if the job is cancelled


def _child(fn: Callable[..., Any], kwargs: dict[str, Any], sender: Connection) -> None:
    # A process of its own, so a lower priority costs the API nothing (in a thread it could
    # stall the API: a descheduled thread may hold the interpreter lock the API waits for).
    with contextlib.suppress(OSError, AttributeError):
        os.nice(CHILD_NICE)
    try:
        result = fn(**kwargs, progress=_RelayProgress(sender))
        sender.send(("result", result))
    except (BrokenPipeError, EOFError):
        return  # the parent is gone (server stopped, job cancelled): nobody to report to
    except BaseException as exc:  # everything goes back to the job, which reports it
        with contextlib.suppress(BrokenPipeError, EOFError):
            sender.send(("error", _portable(exc)))
    finally:
        sender.close()


def _portable(exc: BaseException) -> Any:
    """What the parent needs to raise the same error (BinnrError's hint is not in its args)."""
    if isinstance(exc, BinnrError):
        return ("binnr", type(exc), exc.message, exc.hint)
    try:
        pickle.dumps(exc)
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def _rebuild(error: Any) -> BaseException:
    if isinstance(error, tuple) and error[0] == "binnr":
        _, cls, message, hint = error
        return cls(message, hint=hint)  # type: ignore[no-any-return]
    return error  # type: ignore[no-any-return]
