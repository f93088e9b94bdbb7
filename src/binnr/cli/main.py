"""``binnr``: serve the API, and client commands against a running server."""

from __future__ import annotations

import importlib
import os
from typing import Annotated

import typer

from binnr.settings import get_settings

# LightGBM's OpenMP threads busy-wait by default; on a 2-core machine that slowed 2-thread
# training up to 14x. Set before any OpenMP runtime loads (the server imports models lazily).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

app = typer.Typer(help="binnr: text classification over warehouse tables.", no_args_is_help=True)
train_app = typer.Typer(help="Train a model (gbm, llm).", no_args_is_help=True)
app.add_typer(train_app, name="train")

#: Modules that add commands to :data:`app` (one per resource).
COMMAND_MODULES = (
    "binnr.cli.data",
    "binnr.cli.models",
    "binnr.cli.cluster",
    "binnr.cli.llm",
    "binnr.cli.worker",
)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level")] = "info",
) -> None:
    """Run the API, jobs and models on this machine (http://127.0.0.1:8000/docs)."""
    import uvicorn

    from binnr.api.app import create_app

    settings = get_settings()
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_level=log_level,
    )


for _module in COMMAND_MODULES:
    importlib.import_module(_module)
