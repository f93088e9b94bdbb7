"""Small built-in job kinds: ``sleep`` (tests, benchmarks, health checks of an engine)."""

from __future__ import annotations

import time
from typing import Any

from binnr.jobs.registry import JobContext, job


@job("sleep")
def sleep_job(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Sleep ``seconds`` in ``steps`` steps, reporting progress and honouring cancel."""
    seconds = float(params.get("seconds", 0.0))
    steps = max(1, int(params.get("steps", 1)))
    ctx.progress.phase("sleep", index=1, total=1)
    for i in range(steps):
        ctx.progress.check_cancelled()
        time.sleep(seconds / steps)
        ctx.progress.update(done=i + 1, total=steps, message=f"step {i + 1}/{steps}")
    return {"slept": seconds, "steps": steps}
