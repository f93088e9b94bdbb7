"""Annotated dependencies shared by the routers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, get_origin

from fastapi import Depends, Request

from binnr.api.schemas import TaskAccepted
from binnr.api.types import LocationName, SnowflakeNameQuery
from binnr.backends.factory import get_warehouse
from binnr.errors import InvalidInput
from binnr.jobs.engine import JobEngine
from binnr.jobs.records import JobRecord
from binnr.models.registry import ModelRegistry
from binnr.params.base import RequestLocation
from binnr.settings import Settings
from binnr.warehouse.base import Warehouse

# Dependencies that do no IO are ``async def``: FastAPI runs a plain ``def`` dependency in the
# thread pool, a hop (and a GIL handoff) per request for nothing.


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _engine(request: Request) -> JobEngine:
    engine: JobEngine = request.app.state.engine
    return engine


def _warehouse(request: Request) -> Warehouse:
    return get_warehouse(request.app.state.settings)


def _registry(request: Request) -> ModelRegistry:
    settings: Settings = request.app.state.settings
    return ModelRegistry(settings.models_dir)


@dataclass(frozen=True)
class LocationQuery:
    """The original's ``database``, ``schema``, ``warehouse`` and ``role`` query parameters."""

    database: str | None = None
    schema: str | None = None
    role: str | None = None
    warehouse: str | None = None


async def _location(
    database: LocationName = None,
    schema: LocationName = None,
    role: SnowflakeNameQuery = None,
    warehouse: SnowflakeNameQuery = None,
) -> LocationQuery:
    return LocationQuery(database=database, schema=schema, role=role, warehouse=warehouse)


SettingsDep = Annotated[Settings, Depends(_settings)]
EngineDep = Annotated[JobEngine, Depends(_engine)]
WarehouseDep = Annotated[Warehouse, Depends(_warehouse)]
RegistryDep = Annotated[ModelRegistry, Depends(_registry)]
LocationDep = Annotated[LocationQuery, Depends(_location)]


def accepted(record: JobRecord, warehouse: Warehouse, body: RequestLocation) -> TaskAccepted:
    """The ``202`` answer for a queued job, with the location note when one applies."""
    notes = location_notes(warehouse, warehouse_name=body.warehouse, role=body.role)
    return TaskAccepted(task_id=record.id, notes=notes)


def location_notes(
    warehouse: Warehouse, *, warehouse_name: str | None, role: str | None
) -> list[str]:
    """The one note that warehouse/role are ignored by a backend that has no such thing."""
    if not warehouse.uses_warehouse_and_role and (warehouse_name or role):
        return [f"warehouse and role are ignored by the {warehouse.name} warehouse."]
    return []


async def no_repeated_query(request: Request) -> None:
    """``?kind=a&kind=b`` for a one-value parameter is a 422, not "the last one wins".

    The schema says each such parameter takes one value; a client that sends several has made
    a mistake worth naming rather than a choice the server should guess.
    """
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    for param in _query_params(dependant):
        name = param.alias or param.name
        if not _is_sequence(param) and len(request.query_params.getlist(name)) > 1:
            raise InvalidInput(
                f"The query parameter {name} is given more than once.",
                hint=f"Send {name} once.",
            )


def _query_params(dependant: Any) -> list[Any]:
    params = list(dependant.query_params)
    for sub in dependant.dependencies:
        params.extend(_query_params(sub))
    return params


def _is_sequence(param: Any) -> bool:
    return get_origin(param.field_info.annotation) in (list, tuple, set)
