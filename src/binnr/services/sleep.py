"""The ``sleep`` job: waits, reporting progress (tests, benchmarks, health checks of an engine)."""

from __future__ import annotations

import time
from typing import Any

from binnr.jobs.context import JobContext
from binnr.params.data import SleepParams


def sleep_job(ctx: JobContext, params: SleepParams) -> dict[str, Any]:
    """Sleep ``seconds`` in ``steps`` steps, reporting progress and honouring cancel."""
    seconds, steps = params.seconds, params.steps
    ctx.progress.phase("sleep", index=1, total=1)
    for i in range(steps):
        ctx.progress.check_cancelled()
        time.sleep(seconds / steps)
        ctx.progress.update(done=i + 1, total=steps, message=f"step {i + 1}/{steps}")
    return {"slept": seconds, "steps": steps}
