"""The classifier jobs (the original's "GBM" routes): train and predict, and their checks."""

from __future__ import annotations

from typing import Any

from binnr.errors import InvalidInput
from binnr.jobs.context import JobContext
from binnr.models.registry import ModelRegistry
from binnr.params.gbm import GbmTrainParams, PredictParams
from binnr.services.classifier.engines import engine_named, engine_of
from binnr.services.label_map import require_columns, resolve_labels
from binnr.services.predictions import results_table
from binnr.warehouse.base import Warehouse

_CLASSES = 'SELECT COUNT(DISTINCT "target") AS n FROM {t} WHERE "target" IS NOT NULL'


def gbm_train_job(ctx: JobContext, params: GbmTrainParams) -> dict[str, Any]:
    """Train with the requested engine and register the model."""
    return engine_named(params.engine, ctx.warehouse).train(ctx, params)


def gbm_predict_job(ctx: JobContext, params: PredictParams) -> dict[str, Any]:
    """Predict every row of ``predict_table`` into ``gbm_results_<table>_<ts>``."""
    wh = ctx.warehouse
    record = ctx.models.get(params.model_name)
    source = params.ref(wh, params.predict_table)
    require_columns(wh, source, ("source",))
    out = results_table(wh, source, prefix="gbm_results_")
    rows = engine_of(record).predict(ctx, record, source, out)
    return {"table": out.name, "rows": rows, "model_name": record.name}


def check_train(*, warehouse: Warehouse, params: GbmTrainParams) -> None:
    """Checks before queuing training: the engine, the tables and their labels."""
    engine_named(params.engine, warehouse)
    train_ref = params.ref(warehouse, params.training_table)
    resolve_labels(warehouse=warehouse, ref=train_ref, target_column=params.target_column)
    rows = warehouse.query(warehouse.render(_CLASSES, t=train_ref))
    if int(rows[0]["n"]) < 2:
        raise InvalidInput(
            f"Table {train_ref.name} has labelled rows of {rows[0]['n']} class(es); "
            "at least 2 are needed.",
            hint="Label rows of at least two classes, then recreate the classification tables.",
        )
    if params.validation_table:
        require_columns(warehouse, params.ref(warehouse, params.validation_table))


def check_predict(*, warehouse: Warehouse, registry: ModelRegistry, params: PredictParams) -> None:
    """Checks before queuing a prediction: the model, the table and its ``source`` column."""
    record = registry.get(params.model_name)
    if record.kind != "gbm":
        raise InvalidInput(
            f"Model {record.name} is a {record.kind} model, not a GBM.",
            hint="Use the predict route of that model's kind.",
        )
    require_columns(warehouse, params.ref(warehouse, params.predict_table), ("source",))
