"""The ``binnr`` command line (Typer + rich)."""

from binnr.cli.main import app

__all__ = ["app"]
