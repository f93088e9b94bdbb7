"""A model's first use in a child process: its exports are built, quantised and checked there.

The first load of an embedding model traces it with PyTorch, converts it to OpenVINO,
quantises it to int8 and checks each step against PyTorch (:mod:`.export`, :mod:`.quantize`):
tens of seconds of work that mostly holds the interpreter lock. Done in the server, that
stalled every API request (``bench/status.py --with-load --model auto`` on a fresh home: status
p99 1.4 s). So a server runs that first load in a spawned child, which leaves the exports in
the cache; the server then only reads them. A marker file (per model files, backend, precision
and cache) records that a child finished, so later loads skip the child.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from binnr.children import may_start_children, spawn


def marker(cache_dir: Path, folder: Path, *parts: str) -> Path:
    """The marker of a prepared model: it changes with the model's files and ``parts``."""
    digest = hashlib.sha256("|".join([str(folder.resolve()), *parts]).encode())
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            stat = path.stat()
            digest.update(f"{path.relative_to(folder)}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return cache_dir / ".prepared" / digest.hexdigest()[:24]


def prepare_in_child(load: Callable[[], Any], done: Path) -> bool:
    """Run ``load`` (picklable) in a child process unless ``done`` exists; True when ready.

    False when no child could run it (a daemonic Celery worker may not start one) or it failed:
    the caller then loads in its own process, where any error surfaces with its message.
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
