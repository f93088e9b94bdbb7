"""The HTTP core of the client: one ``request`` that adds the key and raises BinnrErrors."""

from __future__ import annotations

from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from binnr.client.errors import raise_for_error
from binnr.client.jobs import Job
from binnr.errors import InvalidInput, describe_validation_error

M = TypeVar("M", bound=BaseModel)


class BaseClient:
    """``request(method, path, **kw)``: httpx's keywords, JSON back (None for 204)."""

    def __init__(
        self,
        url: str = "http://127.0.0.1:8000",
        api_key: str | None = None,
        *,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.url = url.rstrip("/")
        self.http = httpx.Client(
            base_url=self.url, headers=headers, timeout=timeout, transport=transport
        )

    def __enter__(self) -> BaseClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def raw(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The response itself (downloads); a 4xx/5xx raises its BinnrError."""
        response = self.http.request(method, path, **kwargs)
        raise_for_error(response)
        return response

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send one request; the decoded JSON body, or None for an empty one."""
        if kwargs.get("params"):
            kwargs["params"] = {k: v for k, v in kwargs["params"].items() if v is not None}
        response = self.raw(method, path, **kwargs)
        return response.json() if response.content else None

    def submit(self, path: str, body: BaseModel, **extra: Any) -> Job:
        """POST a job's parameters; the job's handle."""
        payload = {**body.model_dump(mode="json", by_alias=True, exclude_none=True), **extra}
        accepted = self.request("POST", path, json=payload)
        return Job(self, accepted["task_id"], notes=tuple(accepted.get("notes", ())))


def build(model: type[M], fields: dict[str, Any]) -> M:
    """Validate a request body here, with the server's model, naming fields as it does."""
    try:
        return model.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        raise InvalidInput(
            describe_validation_error(exc), hint="Fix the named fields; see docs/api.md."
        ) from exc
