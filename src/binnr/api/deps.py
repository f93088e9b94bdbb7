"""Annotated dependencies shared by the routers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi import Path as PathParam

from binnr.api.schemas import TaskAccepted
from binnr.backends.factory import get_warehouse
from binnr.jobs.engine import JobEngine
from binnr.jobs.records import JobRecord
from binnr.models.registry import ModelRegistry
from binnr.params.base import RequestLocation
from binnr.params.fields import NAME_PATTERN
from binnr.settings import Settings
from binnr.warehouse.base import Warehouse
from binnr.warehouse.names import MAX_DERIVED_NAME, MAX_USER_NAME


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _engine(request: Request) -> JobEngine:
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


#: Query parameters naming things: the same bounds as :mod:`binnr.params.fields`.
LocationNameQuery = Annotated[str | None, Query(pattern=NAME_PATTERN, max_length=MAX_USER_NAME)]
TableNameQuery = Annotated[str | None, Query(pattern=NAME_PATTERN, max_length=MAX_DERIVED_NAME)]
ModelNameQuery = Annotated[str, Query(pattern=NAME_PATTERN, max_length=MAX_DERIVED_NAME)]
SnowflakeNameQuery = Annotated[str | None, Query(max_length=MAX_DERIVED_NAME)]
KindQuery = Annotated[str | None, Query(max_length=64)]
JobIdQuery = Annotated[str, Query(min_length=1, max_length=64)]
JobIdPath = Annotated[str, PathParam(min_length=1, max_length=64)]
TableNamePath = Annotated[str, PathParam(pattern=NAME_PATTERN, max_length=MAX_DERIVED_NAME)]
ModelNamePath = Annotated[str, PathParam(pattern=NAME_PATTERN, max_length=MAX_DERIVED_NAME)]


def _location(
    database: LocationNameQuery = None,
    schema: LocationNameQuery = None,
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
