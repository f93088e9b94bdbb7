"""Who may call the API: API keys, the read-only key, CORS and the cross-origin write guard.

One pure ASGI middleware runs before routing, so every route (also those added later) is
covered and nothing is read from a request it refuses:

* **Cross-origin writes (CSRF).** A browser adds ``Origin`` to a cross-site POST, e.g. an HTML
  form on any web page aimed at a binnr on localhost. A state-changing method whose ``Origin``
  is neither this server (the ``Host`` header) nor listed in ``BINNR_CORS_ORIGINS`` is refused
  with 403, with or without keys. Clients that are not browsers send no ``Origin``.
* **Keys.** With ``BINNR_API_KEY`` / ``BINNR_API_KEY_FILE`` / ``BINNR_READ_ONLY_API_KEY`` set,
  every route but :data:`PUBLIC_PATHS` needs ``Authorization: Bearer <key>`` or
  ``X-API-Key: <key>``; 401 otherwise. A read-only key may GET and HEAD; anything else is 403.
  The presented key is compared with every configured key in constant time.
* **CORS** is Starlette's middleware, installed only when ``BINNR_CORS_ORIGINS`` lists origins.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from binnr.api.docs_ui import ASSETS_URL
from binnr.api.routes.ui import PUBLIC_PREFIXES as UI_PREFIXES
from binnr.errors import BinnrError, Forbidden, Unauthorized, http_status
from binnr.settings import Settings

#: Reachable without a key: the health check, the docs page with its assets, the schema, and
#: the dashboard's page and files (they hold no data; the page asks for the key itself).
PUBLIC_PATHS = frozenset({"/", "/docs", "/favicon.ico", "/openapi.json", "/healthz"})
PUBLIC_PREFIXES = (f"{ASSETS_URL}/", *UI_PREFIXES)
#: Methods that change nothing; everything else is a write for the CSRF and read-only rules.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READ_ONLY_METHODS = frozenset({"GET", "HEAD"})
KEY_HEADER = "x-api-key"

Access = Literal["full", "read"]


@dataclass(frozen=True)
class AccessPolicy:
    """The configured keys and origins, read once when the app is built."""

    keys: tuple[bytes, ...] = ()
    read_only_keys: tuple[bytes, ...] = ()
    cors_origins: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, settings: Settings) -> AccessPolicy:
        return cls(
            keys=tuple(k.encode() for k in settings.api_keys()),
            read_only_keys=tuple(k.encode() for k in settings.read_only_api_keys()),
            cors_origins=frozenset(o.rstrip("/").lower() for o in settings.cors_origins),
        )

    @property
    def requires_key(self) -> bool:
        return bool(self.keys or self.read_only_keys)

    def access(self, presented: str | None) -> Access | None:
        """What ``presented`` grants. Every key is compared (no early exit), so the time taken
        does not depend on which key, if any, matched."""
        if not presented:
            return None
        given = presented.encode()
        full = read = False
        for key in self.keys:
            full |= hmac.compare_digest(given, key)
        for key in self.read_only_keys:
            read |= hmac.compare_digest(given, key)
        return "full" if full else "read" if read else None

    def origin_allowed(self, origin: str, host: str | None) -> bool:
        """Same origin as ``host``, or listed in ``BINNR_CORS_ORIGINS``."""
        normalised = origin.rstrip("/").lower()
        if normalised in self.cors_origins:
            return True
        parts = urlsplit(normalised)
        if parts.scheme not in ("http", "https") or not parts.netloc or host is None:
            return False  # "null" (sandboxed frames, file: pages) and odd values
        return _strip_default_port(parts.netloc) == _strip_default_port(host.lower())


def _strip_default_port(netloc: str) -> str:
    # Browsers omit :80/:443 in Origin while some proxies keep them in Host.
    for suffix in (":80", ":443"):
        if netloc.endswith(suffix):
            return netloc[: -len(suffix)]
    return netloc


def presented_key(headers: Headers) -> str | None:
    """The key from ``Authorization: Bearer`` or, failing that, ``X-API-Key``."""
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return headers.get(KEY_HEADER) or None


def refusal(policy: AccessPolicy, method: str, path: str, headers: Headers) -> BinnrError | None:
    """Why this request may not proceed, or None."""
    origin = headers.get("origin")
    if (
        method not in SAFE_METHODS
        and origin
        and not policy.origin_allowed(origin, headers.get("host"))
    ):
        return Forbidden(
            f"Cross-origin {method} from {origin[:100]} refused.",
            hint="Call the API from the server's own origin or a non-browser client; the "
            "operator can allow a web app's origin in BINNR_CORS_ORIGINS.",
        )
    if not policy.requires_key or path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
        return None
    access = policy.access(presented_key(headers))
    if access is None:
        return Unauthorized("A valid API key is required.")
    if access == "read" and method not in READ_ONLY_METHODS:
        return Forbidden(
            f"The read-only API key cannot {method} {path}.",
            hint="Use a full API key (BINNR_API_KEY) for requests that change anything.",
        )
    return None


class SecurityMiddleware:
    """Refuses requests by :func:`refusal` with the one error shape; passes the rest on."""

    def __init__(self, app: ASGIApp, policy: AccessPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        error = refusal(self.policy, scope["method"], scope["path"], headers)
        if error is None:
            await self.app(scope, receive, send)
            return
        extra = {"WWW-Authenticate": "Bearer"} if isinstance(error, Unauthorized) else None
        response = JSONResponse(
            status_code=http_status(error), content={"error": error.to_dict()}, headers=extra
        )
        await response(scope, receive, send)


def install_security(app: FastAPI, settings: Settings) -> None:
    """Add the key/CSRF middleware, CORS when origins are configured, and the docs' Authorize."""
    policy = AccessPolicy.from_settings(settings)
    app.add_middleware(SecurityMiddleware, policy=policy)
    if policy.cors_origins:
        # Added last, so it runs first: preflights are answered before a key is asked for.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=sorted(settings.cors_origins),
            allow_methods=["*"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type"],
        )
    if policy.requires_key:
        _declare_key_schemes(app)


def _declare_key_schemes(app: FastAPI) -> None:
    """List both key headers in the OpenAPI document, so /docs offers an Authorize button."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes["bearer"] = {"type": "http", "scheme": "bearer"}
        schemes["apiKey"] = {"type": "apiKey", "in": "header", "name": "X-API-Key"}
        schema["security"] = [{"bearer": []}, {"apiKey": []}]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
