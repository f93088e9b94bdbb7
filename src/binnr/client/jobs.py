"""Job handles: poll ``GET /jobs/status/{id}`` until the job ends, with optional progress."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from binnr.client.errors import error_from_body
from binnr.errors import BinnrError

FINAL_STATES = frozenset({"succeeded", "failed", "cancelled", "interrupted"})
Progress = bool | Literal["rich", "plain"]


class _Requester(Protocol):
    def request(self, method: str, path: str, **kwargs: Any) -> Any: ...


@dataclass
class Job:
    """A submitted job. ``wait()`` returns its final status; ``result`` is set once it ended."""

    client: _Requester
    id: str
    kind: str = ""
    notes: tuple[str, ...] = ()
    status: dict[str, Any] | None = None

    def refresh(self) -> dict[str, Any]:
        """The job's current status (``GET /jobs/status/{id}``)."""
        self.status = self.client.request("GET", f"/jobs/status/{self.id}")
        self.kind = self.status.get("kind", self.kind)
        return self.status

    def cancel(self) -> dict[str, Any]:
        """Ask the job to stop (409 Conflict if it already ended)."""
        self.status = self.client.request("POST", f"/jobs/{self.id}/cancel")
        return self.status

    @property
    def done(self) -> bool:
        return self.status is not None and self.status["status"] in FINAL_STATES

    @property
    def result(self) -> dict[str, Any] | None:
        return self.status.get("result") if self.status else None

    def wait(
        self,
        *,
        progress: Progress = False,
        timeout: float | None = None,
        interval: float = 0.5,
        raise_on_failure: bool = True,
    ) -> dict[str, Any]:
        """Poll until the job ends; its final status. A failed or cancelled job raises the
        BinnrError its record names (unless ``raise_on_failure=False``)."""
        show = _reporter(progress)
        deadline = None if timeout is None else time.monotonic() + timeout
        with show as update:
            while True:
                status = self.refresh()
                update(status)
                if status["status"] in FINAL_STATES:
                    break
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError(f"job {self.id} still {status['status']} after {timeout}s")
                time.sleep(interval)
        if raise_on_failure and status["status"] != "succeeded":
            raise self._failure(status)
        return status

    def _failure(self, status: dict[str, Any]) -> BinnrError:
        if status.get("error"):
            return error_from_body(0, {"error": status["error"]})
        return BinnrError(f"job {self.id} ended {status['status']}")


def describe(status: dict[str, Any]) -> str:
    """One line: state, phase, message, percent."""
    p = status.get("progress") or {}
    parts = [status["status"], p.get("phase") or "", p.get("message") or ""]
    return " · ".join(x for x in parts if x) + f" ({p.get('percent') or 0:.0f}%)"


class _Plain:
    """Prints a line whenever the description changes (logs, CI, notebooks without rich)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.last = ""

    def __enter__(self) -> Callable[[dict[str, Any]], None]:
        return self.update

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, status: dict[str, Any]) -> None:
        line = describe(status)
        if self.enabled and line != self.last:
            sys.stderr.write(f"{status.get('kind', 'job')}: {line}\n")
        self.last = line


class _Rich:
    """A rich progress bar with the phase and an ETA."""

    def __init__(self) -> None:
        from rich.progress import Progress as RichProgress

        self.bar = RichProgress(transient=False)
        self.task = self.bar.add_task("job", total=100)

    def __enter__(self) -> Callable[[dict[str, Any]], None]:
        self.bar.start()
        return self.update

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def update(self, status: dict[str, Any]) -> None:
        percent = (status.get("progress") or {}).get("percent") or 0
        self.bar.update(self.task, completed=percent, description=describe(status))


def _reporter(progress: Progress) -> _Plain | _Rich:
    if progress is True or progress == "rich":
        return _Rich()
    return _Plain(enabled=progress == "plain")
