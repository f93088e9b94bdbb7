"""``binnr serve``: the API, jobs and models on this machine."""

from __future__ import annotations

import ipaddress
from typing import Annotated

import typer

from binnr.cli.app import app
from binnr.cli.client import err_console
from binnr.errors import BinnrError
from binnr.settings import Settings, get_settings


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (127.0.0.0/8, ::1)."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve to anything


def refuse_open_bind(host: str, settings: Settings, *, insecure: bool) -> None:
    """Exit 2 when ``host`` is reachable from other machines and no API key is configured."""
    try:
        # Any key (also a read-only one alone) puts every route behind it.
        keys = settings.api_keys() + settings.read_only_api_keys()
    except BinnrError as exc:
        err_console.print(f"[red]{exc.message}[/red]\n[yellow]{exc.hint}[/yellow]")
        raise typer.Exit(2) from exc
    if is_loopback(host) or insecure or keys:
        return
    err_console.print(
        f"[red]Refusing to serve on {host} without an API key: anyone who can reach it could "
        "read and replace tables.[/red]"
    )
    err_console.print(
        "[yellow]Set BINNR_API_KEY (or BINNR_API_KEY_FILE), bind 127.0.0.1, or pass "
        "--insecure if something else guards this address. See docs/security.md.[/yellow]"
    )
    raise typer.Exit(2)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level")] = "info",
    insecure: Annotated[
        bool,
        typer.Option(
            "--insecure", help="Allow a non-loopback address without BINNR_API_KEY (unsafe)"
        ),
    ] = False,
) -> None:
    """Run the API, jobs and models on this machine (http://127.0.0.1:8000/docs)."""
    settings = get_settings()
    bind = host or settings.host
    refuse_open_bind(bind, settings, insecure=insecure)

    import uvicorn

    from binnr.api.app import create_app  # FastAPI + the job kinds: only when serving

    uvicorn.run(create_app(settings), host=bind, port=port or settings.port, log_level=log_level)
