"""/models: the registry of trained models (GBM and LLM)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from binnr.api.deps import LocationDep, RegistryDep, WarehouseDep
from binnr.api.errors import errors
from binnr.api.schemas import ModelDetail, ModelSummary
from binnr.api.types import ModelNamePath, OptionalTableQuery, one_of
from binnr.models.registry import ModelRecord
from binnr.services.evaluation import model_evaluation

#: What the registry holds: classifiers ("gbm", the original route name) and LLMs.
ModelKindQuery = Annotated[
    str | None,
    Query(pattern=one_of(["gbm", "llm"]), max_length=8, description="A model kind: gbm or llm"),
]

router = APIRouter(prefix="/models", tags=["models"])


def _summary(record: ModelRecord) -> ModelSummary:
    return ModelSummary(
        name=record.name,
        kind=record.kind,
        family=record.family,
        active=record.active,
        created_at=str(record.created_at),
        metrics=record.metadata.get("metrics"),
    )


@router.get(
    "", response_model=list[ModelSummary], operation_id="list_models", responses=errors(422)
)
def list_models(registry: RegistryDep, kind: ModelKindQuery = None) -> list[ModelSummary]:
    """Every model, newest first, with its headline metrics."""
    return [_summary(r) for r in registry.list(kind=kind)]


@router.get(
    "/{name}", response_model=ModelDetail, operation_id="get_model", responses=errors(404, 422)
)
def get_model(name: ModelNamePath, registry: RegistryDep) -> ModelDetail:
    """One model with all its metadata."""
    record = registry.get(name)
    return ModelDetail(**_summary(record).model_dump(), metadata=record.metadata)


@router.delete(
    "/{name}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="delete_model",
    responses=errors(404, 422),
)
def delete_model(name: ModelNamePath, registry: RegistryDep) -> Response:
    """Delete a model and its files."""
    registry.delete(name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{name}/activate",
    response_model=ModelSummary,
    operation_id="activate_model",
    responses=errors(404, 422),
)
def activate_model(name: ModelNamePath, registry: RegistryDep) -> ModelSummary:
    """Make this version the active model of its family."""
    registry.activate(name)
    return _summary(registry.get(name))


@router.get("/{name}/accuracy", operation_id="model_accuracy", responses=errors(404, 422, 502))
def model_accuracy(
    location: LocationDep,
    name: ModelNamePath,
    registry: RegistryDep,
    warehouse: WarehouseDep,
    results_table: OptionalTableQuery = None,
) -> dict[str, Any]:
    """Accuracy and per-class figures of any model: its evaluation split or a results table."""
    return model_evaluation(
        warehouse=warehouse,
        registry=registry,
        name=name,
        results_table=results_table,
        database=location.database,
        schema=location.schema,
    )
