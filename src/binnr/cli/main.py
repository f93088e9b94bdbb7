"""``binnr``: serve the API, run workers, and client commands against a running server.

Every command module is imported here, explicitly; each adds its commands to
:data:`binnr.cli.app.app`.
"""

from __future__ import annotations

from binnr.cli import cluster, compare, data, docs, llm, models, server, worker
from binnr.cli.app import app

__all__ = ["app", "cluster", "compare", "data", "docs", "llm", "models", "server", "worker"]
