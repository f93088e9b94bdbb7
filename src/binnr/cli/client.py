"""A small HTTP client for the CLI's commands against a running server."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, NoReturn

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from binnr.jobs.records import FINAL_STATES

# Piped output (scripts, tests) gets wide lines instead of truncated names.
_WIDTH = None if sys.stdout.isatty() else 240
console = Console(width=_WIDTH)
err_console = Console(stderr=True, width=_WIDTH)


class Client:
    """Calls the binnr API; exits with a readable message on errors."""

    def __init__(
        self, base_url: str, *, timeout: float = 600.0, api_key: str | None = None
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, headers=headers)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        # GETs are retried: a server busy with a CPU-heavy job may close an idle keep-alive
        # connection just as the next poll reuses it.
        attempts = 4 if method == "GET" else 1
        for attempt in range(attempts):
            try:
                response = self.http.request(method, path, **kwargs)
                break
            except (httpx.ReadError, httpx.RemoteProtocolError) as exc:
                if attempt == attempts - 1:
                    self._unreachable(exc)
                time.sleep(0.5)
            except httpx.HTTPError as exc:
                self._unreachable(exc)
        if response.status_code >= 400:
            _fail(response)
        if "application/json" in response.headers.get("content-type", ""):
            return response.json()
        return response.content

    def _unreachable(self, exc: Exception) -> NoReturn:
        err_console.print(f"[red]Cannot reach binnr at {self.http.base_url}: {exc}[/red]")
        err_console.print("Start it with `binnr serve` or pass --url.")
        raise typer.Exit(2) from exc

    def upload(self, path: Path, fields: dict[str, str]) -> Any:
        with path.open("rb") as fh:
            return self.request(
                "POST", "/data/upload", data=fields, files={"file": (path.name, fh)}
            )

    def wait(self, task_id: str, *, watch: bool = True) -> dict[str, Any]:
        """Poll a job until it ends, with a live progress bar."""
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>5.1f}%"),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console, disable=not watch) as bar:
            task = bar.add_task("queued", total=100)
            while True:
                job: dict[str, Any] = self.request("GET", f"/jobs/status/{task_id}")
                progress = job.get("progress") or {}
                desc = f"{job['kind']} · {progress.get('phase', '')} {progress.get('message', '')}"
                bar.update(
                    task, completed=float(progress.get("percent") or 0), description=desc[:80]
                )
                if job["status"] in FINAL_STATES:
                    return job
                time.sleep(0.5)


def _fail(response: httpx.Response) -> None:
    try:
        error = response.json()["error"]
        err_console.print(f"[red]{response.status_code} {error['type']}: {error['message']}[/red]")
        err_console.print(f"[yellow]Hint: {error['hint']}[/yellow]")
    except (ValueError, KeyError, TypeError):
        err_console.print(f"[red]{response.status_code}: {response.text[:500]}[/red]")
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
