"""Job kinds: a name, its parameter model and its function.

The table of kinds is built where the job functions live (:mod:`binnr.services.job_table`) and
handed to the engine by whoever starts it (the API app, the worker), so this layer never
imports the layer above it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from binnr.errors import InvalidInput
from binnr.jobs.context import JobContext
from binnr.jobs.records import JobRecord
from binnr.params.base import JobParams
from binnr.settings import Settings

P = TypeVar("P", bound=JobParams)
#: ``sweep(settings, active_jobs)``: removes what killed jobs left behind (run by workers).
Sweep = Callable[[Settings, Sequence[JobRecord]], object]


@dataclass(frozen=True)
class JobKind(Generic[P]):
    """One job kind: ``run(ctx, params)`` returns the job's JSON result."""

    name: str
    params: type[P]
    run: Callable[[JobContext, P], dict[str, Any]]

    def parse(self, raw: BaseModel | Mapping[str, Any]) -> P:
        """Typed parameters from a request model or a stored record."""
        if isinstance(raw, BaseModel) and not isinstance(raw, self.params):
            raw = raw.model_dump(by_alias=True)
        return self.params.parse(raw, what=f"parameters for a {self.name} job")


class KindTable:
    """The job kinds an engine can run, by name."""

    def __init__(self, kinds: Iterable[JobKind[Any]], *, sweep: Sweep | None = None) -> None:
        self._kinds = {k.name: k for k in kinds}
        self.sweep = sweep

    def get(self, name: str) -> JobKind[Any]:
        """The kind ``name``; ``422`` listing the known kinds otherwise."""
        try:
            return self._kinds[name]
        except KeyError:
            raise InvalidInput(
                f"Unknown job kind {name!r}.", hint=f"Known kinds: {', '.join(self.names())}."
            ) from None

    def names(self) -> list[str]:
        """Every kind's name, sorted."""
        return sorted(self._kinds)

    def __iter__(self) -> Any:
        return iter(self._kinds.values())
