"""Child processes: whether this process may start one, how, and first-time work done in one.

Four kinds of work run in spawned children (a training, an embedding model's first export, the
n-gram kernels' first compile, LLM scoring helpers); they share these rules. First-time work
(:func:`prepare_in_child`) is work that mostly holds the interpreter lock for seconds: done in
the server it stalled every API request (an embedding model's first export: status p99 1.4 s),
so a child does it, leaves its results in a cache and a marker file, and the server only loads.
"""

from __future__ import annotations

import hashlib
import multiprocessing
from collections.abc import Callable
from multiprocessing.context import SpawnContext
from pathlib import Path
from typing import Any


def may_start_children() -> bool:
    """A daemonic process (a Celery pool worker) may not start children: it does the work
    itself instead."""
    return not multiprocessing.current_process().daemon


def spawn() -> SpawnContext:
    """Spawn, not fork: forking a threaded process copies locks other threads hold (the
    server's, torch's thread pool), which can hang the child."""
    return multiprocessing.get_context("spawn")


def marker(cache_dir: Path, source: Path, *parts: str) -> Path:
    """The marker of work done on ``source`` (a file, or a folder's files): it changes with
    them and with ``parts``."""
    digest = hashlib.sha256("|".join([str(source.resolve()), *parts]).encode())
    base, files = (
        (source.parent, [source]) if source.is_file() else (source, sorted(source.rglob("*")))
    )
    for path in files:
        if path.is_file():
            stat = path.stat()
            digest.update(f"{path.relative_to(base)}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return cache_dir / ".prepared" / digest.hexdigest()[:24]


def prepare_in_child(load: Callable[[], Any], done: Path) -> bool:
    """Run ``load`` (picklable) in a child process unless ``done`` exists; True when ready.

    False when no child could run it (a daemonic Celery worker may not start one) or it failed:
    the caller then does the work in its own process, where any error surfaces with its message.
    """
    if done.is_file():
        return True
    if not may_start_children():
        return False
    child = spawn().Process(target=_child, args=(load, done))
    child.start()
    child.join()
    return child.exitcode == 0 and done.is_file()


def _child(load: Callable[[], Any], done: Path) -> None:
    load()
    done.parent.mkdir(parents=True, exist_ok=True)
    done.touch()
