"""The Swagger UI at ``/docs`` and the ``/`` redirect to the dashboard, served without any CDN.

The assets come from ``fastapi-offline``, which ships a Swagger UI 5 build: FastAPI emits
OpenAPI 3.1, and Swagger UI 4 refuses to render 3.1 documents at all.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

#: Under ``/static/`` so that every asset of the page is visibly local.
ASSETS_URL = "/static/swagger"
ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
FAVICON = ASSETS_DIR / "favicon.png"


def install_docs(app: FastAPI) -> None:
    """Serve the Swagger UI page, its assets, the favicon and the ``/`` redirect (to ``/ui``)."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="swagger")

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/ui")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="binnr — API",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
        )

    # Browsers ask for /favicon.ico on their own (e.g. for a JSON response opened in a
    # tab); a 404 there shows up as a console error.
    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(FAVICON, media_type="image/png")
