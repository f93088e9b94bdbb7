"""Map errors to JSON responses in one place: ``{"error": {"type", "message", "hint"}}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from binnr.api.schemas import ErrorBody
from binnr.errors import BinnrError, describe_validation_error, http_status

log = logging.getLogger(__name__)

#: What each error status means in binnr; the body is always :class:`ErrorBody`.
ERROR_STATUSES: dict[int, str] = {
    400: "The body could not be read (not UTF-8 JSON, or a broken multipart form)",
    401: "No valid API key (only when BINNR_API_KEY is set)",
    403: "Switched off by configuration",
    404: "A named table, job or model does not exist",
    409: "Clashes with the current state (e.g. the job already ended, the name is taken)",
    413: "The upload exceeds BINNR_MAX_UPLOAD_MB",
    422: "Invalid input: a field, a name or a value the operation cannot accept",
    502: "The warehouse refused a statement or could not be reached",
}

_HTTP_HINTS = {
    400: "Send the body as UTF-8 JSON (a multipart form for uploads), as /docs shows.",
    405: "The Allow header lists the methods this path accepts.",
}

#: Every route can answer this once the API key is set.
COMMON = (401,)


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route: :data:`COMMON` plus ``statuses``, each an ErrorBody."""
    return {
        status: {"model": ErrorBody, "description": ERROR_STATUSES[status]}
        for status in sorted({*COMMON, *statuses})
    }


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
        # Keep Starlette's headers: a 405 must say which methods are allowed (``Allow``).
        hint = _HTTP_HINTS.get(exc.status_code, "See /docs for the available routes.")
        response = error_response(exc.status_code, "HTTPError", str(exc.detail), hint)
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(Exception)
    async def _crash(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return error_response(
            500,
            type(exc).__name__,
            "Internal error.",
            "This is a bug; the server log has the details. Please report it.",
        )
