"""The CLI's client: :class:`binnr.client.base.BaseClient` with readable failures and exits."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from binnr.client.base import BaseClient
from binnr.errors import BinnrError, http_status
from binnr.jobs.records import FINAL_STATES

# Piped output (scripts, tests) gets wide lines instead of truncated names.
_WIDTH = None if sys.stdout.isatty() else 240
console = Console(width=_WIDTH)
err_console = Console(stderr=True, width=_WIDTH)


class Client(BaseClient):
    """The Python client (:mod:`binnr.client`) with a command line's manners: a readable message
    and a non-zero exit instead of an exception, and GETs retried."""

    def __init__(
        self, base_url: str, *, timeout: float = 600.0, api_key: str | None = None
    ) -> None:
        super().__init__(base_url, api_key, timeout=timeout)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        # GETs are retried: a server busy with a CPU-heavy job may close an idle keep-alive
        # connection just as the next poll reuses it.
        attempts = 4 if method == "GET" else 1
        for attempt in range(attempts):
            try:
                response = self.raw(method, path, **kwargs)
                break
            except BinnrError as exc:
                _fail(exc)
            except (httpx.ReadError, httpx.RemoteProtocolError) as exc:
                if attempt == attempts - 1:
                    self._unreachable(exc)
                time.sleep(0.5)
            except httpx.HTTPError as exc:
                self._unreachable(exc)
        if "application/json" in response.headers.get("content-type", ""):
            return response.json()
        return response.content

    def _unreachable(self, exc: Exception) -> NoReturn:
        err_console.print(f"[red]Cannot reach binnr at {self.url}: {exc}[/red]")
        err_console.print("Start it with `binnr serve` or pass --url.")
        raise typer.Exit(2) from exc

    def upload(self, path: Path, fields: dict[str, str]) -> Any:
        with path.open("rb") as fh:
            return self.request(
                "POST", "/data/upload", data=fields, files={"file": (path.name, fh)}
            )

    def wait(self, task_id: str, *, watch: bool = True) -> dict[str, Any]:
        """Follow a job until it ends, with a live progress bar: pushed updates from
        ``GET /jobs/{id}/events``, or polling where the stream cannot be opened."""
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>5.1f}%"),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console, disable=not watch) as bar:
            task = bar.add_task("queued", total=100)
            for job in self._updates(task_id):
                progress = job.get("progress") or {}
                desc = f"{job['kind']} · {progress.get('phase', '')} {progress.get('message', '')}"
                bar.update(
                    task, completed=float(progress.get("percent") or 0), description=desc[:80]
                )
                if job["status"] in FINAL_STATES:
                    return job
        return dict(self.request("GET", f"/jobs/status/{task_id}"))

    def _updates(self, task_id: str) -> Iterator[dict[str, Any]]:
        # an old server or a buffering proxy: poll instead
        with contextlib.suppress(httpx.HTTPError, ValueError):
            yield from self._stream(task_id)
        while True:
            yield self.request("GET", f"/jobs/status/{task_id}")
            time.sleep(0.5)

    def _stream(self, task_id: str) -> Iterator[dict[str, Any]]:
        with self.http.stream("GET", f"/jobs/{task_id}/events", timeout=None) as response:
            if response.status_code != 200:
                return
            event = ""
            for line in response.iter_lines():
                if line.startswith("event: "):
                    event = line.removeprefix("event: ")
                elif line.startswith("data: ") and event == "status":
                    job: dict[str, Any] = json.loads(line.removeprefix("data: "))
                    yield job
                    if job["status"] in FINAL_STATES:
                        return


def _fail(error: BinnrError) -> NoReturn:
    err_console.print(f"[red]{http_status(error)} {error.type}: {error.message}[/red]")
    err_console.print(f"[yellow]Hint: {error.hint}[/yellow]")
    raise typer.Exit(1)


def finish(client: Client, task_id: str, *, wait: bool) -> None:
    """Print the task id, or wait and print the job's result."""
    if not wait:
        console.print(f"task_id: {task_id}")
        return
    job = client.wait(task_id)
    if job["status"] == "succeeded":
        console.print_json(data=job["result"])
        return
    error = job.get("error") or {}
    err_console.print(f"[red]Job {job['status']}: {error.get('message', '')}[/red]")
    if error.get("hint"):
        err_console.print(f"[yellow]Hint: {error['hint']}[/yellow]")
    raise typer.Exit(1)
