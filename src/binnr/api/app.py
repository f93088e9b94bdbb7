"""The FastAPI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from binnr import __version__
from binnr.api.deps import no_repeated_query
from binnr.api.docs_ui import install_docs
from binnr.api.errors import install_error_handlers
from binnr.api.limits import install_limits
from binnr.api.routes import compare, data, embeddings, gbm, jobs, llm, models, tables
from binnr.api.routes.ui import install_ui
from binnr.api.security import install_security
from binnr.backends.factory import close_all, get_warehouse
from binnr.jobs.factory import make_engine
from binnr.services.cleanup import startup_sweep
from binnr.services.job_table import JOB_KINDS
from binnr.settings import Settings, get_settings

log = logging.getLogger(__name__)

#: One router per resource, in the order the docs list them.
ROUTERS = (
    data.router,
    tables.router,
    jobs.router,
    gbm.router,
    models.router,
    llm.router,
    embeddings.router,
    compare.router,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; jobs and the warehouse start in the lifespan."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.home.mkdir(parents=True, exist_ok=True)
        get_warehouse(settings)
        app.state.engine = make_engine(settings, kinds=JOB_KINDS)
        startup_sweep(settings, app.state.engine.list_active())
        try:
            yield
        finally:
            app.state.engine.shutdown()
            close_all()

    app = FastAPI(
        title="binnr",
        version=__version__,
        description="Text classification over warehouse tables: GBM, LLM and embeddings.",
        lifespan=lifespan,
        dependencies=[Depends(no_repeated_query)],
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    install_error_handlers(app)
    install_security(app, settings)
    install_limits(app, settings)
    for router in ROUTERS:
        app.include_router(router)
    install_docs(app)
    install_ui(app)
    _install_healthz(app)
    return app


def _install_healthz(app: FastAPI) -> None:
    @app.get("/healthz", tags=["health"], operation_id="healthz")
    def healthz() -> dict[str, str]:
        settings: Settings = app.state.settings
        return {"status": "ok", "version": __version__, "warehouse": settings.warehouse_kind}
