"""Map errors to JSON responses in one place: ``{"error": {"type", "message", "hint"}}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from binnr.errors import BinnrError, describe_validation_error, http_status

log = logging.getLogger(__name__)


def error_response(status: int, type_: str, message: str, hint: str) -> JSONResponse:
    """The one error shape."""
    return JSONResponse(
        status_code=status, content={"error": {"type": type_, "message": message, "hint": hint}}
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register handlers for binnr errors, validation errors, HTTP errors and crashes."""

    @app.exception_handler(BinnrError)
    async def _binnr(_: Request, exc: BinnrError) -> JSONResponse:
        return error_response(http_status(exc), exc.type, exc.message, exc.hint)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(
            422,
            "InvalidInput",
            describe_validation_error(exc),
            "Fix the named fields; /docs shows each route's schema.",
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(
            exc.status_code, "HTTPError", str(exc.detail), "See /docs for the available routes."
        )

    @app.exception_handler(Exception)
    async def _crash(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return error_response(
            500,
            type(exc).__name__,
            "Internal error.",
            "This is a bug; the server log has the details. Please report it.",
        )
