"""``binnr worker``: a Celery worker (threads pool) for the Celery job engine."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from binnr.cli.app import app
from binnr.errors import ConfigError
from binnr.settings import get_settings


@app.command()
def worker(
    concurrency: Annotated[
        int | None, typer.Option("--concurrency", "-c", help="Job threads (BINNR_JOB_WORKERS)")
    ] = None,
    queues: Annotated[
        str | None,
        typer.Option("--queues", "-Q", help="Comma-separated queues (BINNR_CELERY_QUEUE)"),
    ] = None,
    hostname: Annotated[str | None, typer.Option("--hostname", "-n", help="Node name")] = None,
    loglevel: Annotated[str, typer.Option(help="Celery log level")] = "info",
) -> None:
    """Run jobs from the Celery queue (needs CELERY_BROKER_URL and a shared BINNR_JOB_STORE)."""
    from binnr.cli.client import err_console
    from binnr.jobs.celery_app import CeleryOptions, check_duckdb, make_celery_app
    from binnr.jobs.store import JobStore, job_store_url
    from binnr.services.job_table import JOB_KINDS

    settings = get_settings()
    options = CeleryOptions()
    try:
        if not settings.celery_broker_url:
            raise ConfigError(
                "`binnr worker` needs a broker.", hint="Set CELERY_BROKER_URL (e.g. redis://...)."
            )
        check_duckdb(settings, options, role="worker")
    except ConfigError as exc:
        err_console.print(f"[red]{exc.type}: {exc.message}[/red]")
        err_console.print(f"[yellow]Hint: {exc.hint}[/yellow]")
        raise typer.Exit(2) from exc
    settings.home.mkdir(parents=True, exist_ok=True)
    store = JobStore(job_store_url(settings))
    celery = make_celery_app(settings, kinds=JOB_KINDS, options=options, store=store)
    argv = [
        "worker",
        "--pool=threads",
        f"--concurrency={concurrency or settings.job_workers}",
        f"--queues={queues or options.celery_queue}",
        f"--hostname={hostname or f'binnr-{os.getpid()}@%h'}",
        f"--loglevel={loglevel}",
        "--without-gossip",
        "--without-mingle",
    ]
    celery.worker_main(argv)
