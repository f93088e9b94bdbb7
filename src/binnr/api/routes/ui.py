"""The web dashboard at ``/ui``: static files from the package, no server-side logic.

The page is a client of the JSON API like any other; this module only serves its HTML,
JavaScript modules and CSS (written here, no CDN, no build step).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

#: The dashboard's files, shipped as package data (pyproject's package-data).
WEB_DIR = Path(__file__).resolve().parents[2] / "web"
UI_URL = "/ui"
STATIC_URL = "/ui/static"
#: Paths an auth layer must leave open: the page has to load before it can ask for a key.
PUBLIC_PREFIXES = (UI_URL,)


def install_ui(app: FastAPI) -> None:
    """Serve ``/ui`` (the single page) and ``/ui/static/...`` (its modules and styles)."""
    app.mount(STATIC_URL, StaticFiles(directory=WEB_DIR), name="ui-static")

    @app.get(UI_URL, include_in_schema=False)
    def ui() -> FileResponse:
        # no-cache: a new binnr version must not run an old page against a new API.
        return FileResponse(WEB_DIR / "index.html", headers={"Cache-Control": "no-cache"})
