"""Child processes: whether this process may start one, and how.

Three kinds of work run in spawned children (a training, an embedding model's first export,
LLM scoring helpers); they share these two rules.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.context import SpawnContext


def may_start_children() -> bool:
    """A daemonic process (a Celery pool worker) may not start children: it does the work
    itself instead."""
    return not multiprocessing.current_process().daemon


def spawn() -> SpawnContext:
    """Spawn, not fork: forking a threaded process copies locks other threads hold (the
    server's, torch's thread pool), which can hang the child."""
    return multiprocessing.get_context("spawn")
