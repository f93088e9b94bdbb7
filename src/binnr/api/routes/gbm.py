"""/classification/gbm: train, predict, info, accuracy."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, status

from binnr.api.deps import EngineDep, LocationDep, RegistryDep, WarehouseDep, accepted
from binnr.api.errors import errors
from binnr.api.links import queued
from binnr.api.routes.models import model_accuracy
from binnr.api.schemas import GbmTrainRequest, LabelIssues, PredictRequest, TaskAccepted
from binnr.api.types import ModelNameQuery, OptionalTableQuery
from binnr.params import GbmTrainParams, PredictParams
from binnr.services.classifier.issues import read_label_issues
from binnr.services.classifier.service import check_predict, check_train

router = APIRouter(prefix="/classification/gbm", tags=["gbm"])


@router.post(
    "/train",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=TaskAccepted,
    operation_id="gbm_train",
    responses={**queued(), **errors(400, 404, 409, 422, 502)},
)
def train(body: GbmTrainRequest, engine: EngineDep, warehouse: WarehouseDep) -> TaskAccepted:
    """Train binnr's text GBM on a ``*_train`` table; the result names the model."""
    params = body.job_params(GbmTrainParams)
    check_train(warehouse=warehouse, params=params)
    record = engine.submit(kind="gbm.train", params=params)
    return accepted(record, warehouse, body)


@router.post(
    "/predict",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=TaskAccepted,
    operation_id="gbm_predict",
    responses={**queued(), **errors(400, 404, 422, 502)},
)
def predict(
    body: PredictRequest, engine: EngineDep, warehouse: WarehouseDep, registry: RegistryDep
) -> TaskAccepted:
    """Predict a table into ``gbm_results_<table>_<yyyymmddHHMMSS>_<xxxxxx>``."""
    params = body.job_params(PredictParams)
    check_predict(warehouse=warehouse, registry=registry, params=params)
    record = engine.submit(kind="gbm.predict", params=params)
    return accepted(record, warehouse, body)


@router.get("/info", operation_id="gbm_info", responses=errors(404, 422))
def info(model_name: ModelNameQuery, registry: RegistryDep) -> dict[str, Any]:
    """The model's evaluation report, training log, feature importance and parameters."""
    record = registry.get(model_name)
    return {"model_name": record.name, "active": record.active, **record.metadata}


@router.get("/accuracy", operation_id="gbm_accuracy", responses=errors(404, 422, 502))
def accuracy(
    location: LocationDep,
    registry: RegistryDep,
    warehouse: WarehouseDep,
    model_name: ModelNameQuery,
    results_table: OptionalTableQuery = None,
) -> dict[str, Any]:
    """Accuracy and per-class figures on the evaluation split, or of a results table."""
    return model_accuracy(location, model_name, registry, warehouse, results_table)


@router.get(
    "/label-issues",
    response_model=LabelIssues,
    operation_id="gbm_label_issues",
    responses=errors(404, 422, 502),
)
def label_issues(
    model_name: ModelNameQuery,
    registry: RegistryDep,
    warehouse: WarehouseDep,
    limit: int = Query(default=100, ge=1, le=10_000),
) -> LabelIssues:
    """The labelled rows whose given label the model doubts most, most suspicious first."""
    record = registry.get(model_name)
    return LabelIssues.model_validate(
        read_label_issues(warehouse=warehouse, record=record, limit=limit)
    )
