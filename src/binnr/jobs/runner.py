"""Running one job: the part every engine shares."""

from __future__ import annotations

import logging
import os
import socket
import threading

from binnr.errors import BinnrError, JobCancelled
from binnr.jobs.context import JobContext
from binnr.jobs.kinds import KindTable
from binnr.jobs.records import JobError
from binnr.jobs.store import JobStore
from binnr.progress import ProgressState, Reporter
from binnr.settings import Settings

log = logging.getLogger(__name__)


def worker_name() -> str:
    """host:pid:thread, for the job record."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"


def run_job(job_id: str, *, store: JobStore, settings: Settings, kinds: KindTable) -> None:
    """Run a stored job to its end state; never raises for job failures."""
    record = store.get(job_id)
    if not store.mark_running(job_id, worker=worker_name()):
        return  # cancelled while queued, or already taken
    reporter = Reporter(
        sink=lambda state: store.set_progress(job_id, state.to_dict()),
        is_cancelled=lambda: store.is_cancel_requested(job_id),
        # 0 means no limit; counted from the start of the run, not from the submission.
        time_limit=settings.job_timeout or None,
    )
    ctx = JobContext(job_id=job_id, settings=settings, progress=reporter)
    try:
        kind = kinds.get(record.kind)
        result = kind.run(ctx, kind.parse(record.params))
    except JobCancelled as exc:
        store.finish(job_id, state="cancelled", error=_error(exc), progress=_final(reporter))
    except BinnrError as exc:
        store.finish(job_id, state="failed", error=_error(exc), progress=_final(reporter))
    except Exception as exc:  # a bug, not bad input: keep the trace in the log
        log.exception("job %s (%s) crashed", job_id, record.kind)
        error = JobError(
            type=type(exc).__name__,
            message=str(exc)[:1000] or type(exc).__name__,
            hint="This is unexpected; the server log has the details. Please report it.",
        )
        store.finish(job_id, state="failed", error=error, progress=_final(reporter))
    else:
        reporter.finish()
        store.finish(job_id, state="succeeded", result=result, progress=reporter.state.to_dict())


def _error(exc: BinnrError) -> JobError:
    return JobError(type=exc.type, message=exc.message, hint=exc.hint)


def _final(reporter: Reporter) -> dict[str, object]:
    state: ProgressState = reporter.state
    state.eta_seconds = None
    return state.to_dict()
