"""One exception root for binnr, its typed subclasses and the boundary translator.

Every error a user sees carries what was wrong (``message``) and what to do (``hint``).
The HTTP status of each class lives in one table, :data:`HTTP_STATUS`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any


class BinnrError(Exception):
    """Root of every error binnr raises on purpose."""

    default_hint = "Check the request and try again."

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint or self.default_hint

    @property
    def type(self) -> str:
        return type(self).__name__

    def to_dict(self) -> dict[str, str]:
        return {"type": self.type, "message": self.message, "hint": self.hint}


class InvalidInput(BinnrError):
    """The request is well-formed but names or values are not acceptable."""

    default_hint = "Fix the named field and send the request again."


class FileProblem(InvalidInput):
    """An uploaded file cannot be read as a table: its content, not a form field, is wrong."""

    default_hint = (
        "Fix the file (see the message) and upload it again; binnr reads UTF-8 CSV "
        "(comma, semicolon, tab or pipe), JSONL and Parquet."
    )


class NotFound(BinnrError):
    """A table, job or model does not exist."""

    default_hint = "Check the name; GET /data/tables, /jobs or /models lists what exists."


class Conflict(BinnrError):
    """The request clashes with the current state (e.g. a job that already ended)."""

    default_hint = "Look at the current state and retry if it still makes sense."


class TooLarge(BinnrError):
    """An upload exceeds ``BINNR_MAX_UPLOAD_MB``."""

    default_hint = "Split the file or raise BINNR_MAX_UPLOAD_MB."


class Forbidden(BinnrError):
    """A feature is switched off by configuration."""

    default_hint = "Ask the operator to enable it in the settings."


class NotSupported(BinnrError):
    """The configured backend or provider cannot do this."""

    default_hint = "Choose another provider or engine; see the docs for what each supports."


class ConfigError(BinnrError):
    """The settings are inconsistent; raised at start-up."""

    default_hint = "Fix the environment or .env file and restart."


class WarehouseError(BinnrError):
    """The warehouse rejected a statement or could not be reached."""

    default_hint = "Check the warehouse connection and the names used; see the message for details."


class JobCancelled(BinnrError):
    """A job noticed a cancel request and stopped."""

    default_hint = "Submit the job again if it was cancelled by mistake."


class ModelError(BinnrError):
    """Training or prediction cannot proceed with the given data or model."""

    default_hint = "Check the training data and parameters."


class Unauthorized(BinnrError):
    """The request carries no API key, or one that is not configured."""

    default_hint = (
        "Send the key as 'Authorization: Bearer <key>' or 'X-API-Key: <key>' "
        "(the CLI reads BINNR_API_KEY or --api-key)."
    )


class TooManyRequests(BinnrError):
    """A capped resource (e.g. the free-prompt route) is busy."""

    default_hint = "Retry in a few seconds; the operator can raise BINNR_PROMPT_CONCURRENCY."


class JobTimeout(BinnrError):
    """A job ran past ``BINNR_JOB_TIMEOUT`` and was stopped."""

    default_hint = (
        "Make the job smaller (fewer rows, steps or iterations) or raise BINNR_JOB_TIMEOUT."
    )


HTTP_STATUS: Mapping[type[BinnrError], int] = {
    InvalidInput: 422,
    ModelError: 422,
    NotFound: 404,
    Conflict: 409,
    JobCancelled: 409,
    TooLarge: 413,
    Forbidden: 403,
    Unauthorized: 401,
    TooManyRequests: 429,
    JobTimeout: 504,
    NotSupported: 422,
    ConfigError: 500,
    WarehouseError: 502,
}


def http_status(error: BinnrError) -> int:
    """The HTTP status for ``error``: the first matching class in its MRO, else 400."""
    for cls in type(error).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]  # type: ignore[index]
    return 400


@contextmanager
def map_exceptions(
    mapping: Mapping[type[BaseException], type[BinnrError]], *, context: str = ""
) -> Iterator[None]:
    """Translate library exceptions into binnr errors at a boundary (httpx's pattern)."""
    try:
        yield
    except BinnrError:
        raise
    except tuple(mapping) as exc:
        target = next(t for src, t in mapping.items() if isinstance(exc, src))
        prefix = f"{context}: " if context else ""
        raise target(f"{prefix}{first_line(str(exc))}") from exc


def describe_validation_error(exc: Any) -> str:
    """pydantic's errors as ``field.path: message; ...`` (request bodies drop the ``body`` root).

    Takes a pydantic ``ValidationError`` or FastAPI's ``RequestValidationError`` (both have
    ``errors()``).
    """
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        text = _problem(err)
        problems.append(f"{where}: {text}" if where else text)
    return "; ".join(problems) or "invalid input"


def _problem(err: Mapping[str, Any]) -> str:
    """pydantic's message, in binnr's words for names (every pattern in the schema is a name
    pattern, see ``binnr.params.fields``), so the schema and ``ident`` say the same thing."""
    kind, value, ctx = err.get("type"), err.get("input"), err.get("ctx") or {}
    if isinstance(value, str):
        shown = repr(value[:40]) + ("…" if len(value) > 40 else "")
        if kind == "string_pattern_mismatch":
            return f"{shown} is not a valid name (allowed: {ctx.get('pattern')})"
        if kind == "string_too_long":
            return f"{shown} is {len(value)} characters; the limit is {ctx.get('max_length')}"
    return str(err.get("msg"))


def first_line(text: str, limit: int = 500) -> str:
    """A one-line, bounded rendering of a driver message."""
    line = text.strip().splitlines()[0] if text.strip() else "no details"
    return line[:limit]
