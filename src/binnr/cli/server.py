"""``binnr serve``: the API, jobs and models on this machine."""

from __future__ import annotations

from typing import Annotated

import typer

from binnr.cli.app import app
from binnr.settings import get_settings


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level")] = "info",
) -> None:
    """Run the API, jobs and models on this machine (http://127.0.0.1:8000/docs)."""
    import uvicorn

    from binnr.api.app import create_app  # FastAPI + the job kinds: only when serving

    settings = get_settings()
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_level=log_level,
    )
