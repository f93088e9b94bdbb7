"""HTTP error bodies → the :class:`binnr.errors.BinnrError` family, as the server raised them."""

from __future__ import annotations

from typing import Any

import httpx

from binnr.errors import HTTP_STATUS, BinnrError


def _subclasses(cls: type[BinnrError]) -> dict[str, type[BinnrError]]:
    found = {cls.__name__: cls}
    for sub in cls.__subclasses__():
        found.update(_subclasses(sub))
    return found


def error_class(status: int, type_name: str | None) -> type[BinnrError]:
    """The class for a response: the body's ``type`` when binnr knows it, else by status.

    Several classes share a status (422: InvalidInput, ModelError, NotSupported), so the
    body's type name decides first; :data:`binnr.errors.HTTP_STATUS` is the fallback.
    """
    known = _subclasses(BinnrError)
    if type_name in known:
        return known[type_name]  # type: ignore[index]
    for cls, code in HTTP_STATUS.items():
        if code == status:
            return cls
    return BinnrError


def error_from_body(status: int, body: Any) -> BinnrError:
    """A BinnrError from ``{"error": {"type", "message", "hint"}}`` (or anything else)."""
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        return BinnrError(f"HTTP {status}: {str(body)[:300]}")
    cls = error_class(status, err.get("type"))
    return cls(str(err.get("message") or f"HTTP {status}"), hint=err.get("hint") or None)


def raise_for_error(response: httpx.Response) -> None:
    """Raise the matching BinnrError for a 4xx/5xx response; nothing otherwise."""
    if response.is_success:
        return
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    raise error_from_body(response.status_code, body)
