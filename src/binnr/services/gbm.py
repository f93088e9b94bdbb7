"""GBM service: train on a classification table, predict a table, report and score."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
from pydantic import ValidationError

from binnr.errors import InvalidInput, NotSupported
from binnr.jobs.registry import JobContext, job
from binnr.models.registry import ModelRegistry
from binnr.services.embedding_cache import gbm_embedder
from binnr.services.labels import require_columns, resolve_labels
from binnr.services.predictions import (
    PREDICTION_FIELDS,
    probability_columns,
    timestamp,
    write_results,
)
from binnr.services.training_data import read_labelled, require_classes
from binnr.warehouse.base import Warehouse


@job("gbm.train")
def gbm_train_job(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Train the text GBM on ``training_table`` and register it."""
    from binnr.models import gbm
    from binnr.models.metrics import summary

    wh, loc = ctx.warehouse, _loc(params)
    train_ref = wh.ref(params["training_table"], **loc)
    if params.get("engine") == "snowflake_ml":
        from binnr.services.gbm_snowflake_ml import train_snowflake_ml

        return train_snowflake_ml(ctx, params, train_ref)
    gbm_params = gbm.GbmParams.model_validate(params.get("params") or {})
    ctx.progress.phase("read", index=1, total=2)
    labels = resolve_labels(warehouse=wh, ref=train_ref, target_column=params.get("target_column"))
    train = read_labelled(warehouse=wh, ref=train_ref, labels=labels)
    require_classes(train, table=train_ref.name)
    evaluation = None
    if params.get("validation_table"):
        evaluation = read_labelled(
            warehouse=wh, ref=wh.ref(params["validation_table"], **loc), labels=labels
        )
    embed = None
    if gbm_params.features == "text+embeddings":
        embed = gbm_embedder(
            warehouse=wh,
            training=train_ref,
            model=ctx.settings.embedding_model,
            progress=ctx.progress,
        )
    model = gbm.train(
        texts=train.texts,
        labels=train.labels,
        eval_texts=evaluation.texts if evaluation else None,
        eval_labels=evaluation.labels if evaluation else None,
        params=gbm_params,
        progress=ctx.progress,
        embed=embed,
    )
    name = f"gbm_{train_ref.name.lower()}_{timestamp()}"
    metadata = {
        "training_table": str(train_ref),
        "validation_table": params.get("validation_table"),
        "label_column": labels.column,
        "label_map": {label: number for number, label in labels.numbers.items()},
        "rows": {
            "train": len(train.texts),
            "validation": len(evaluation.texts) if evaluation else 0,
        },
        "params": gbm_params.model_dump(),
        "metrics": summary(model.report),
        "report": model.report,
        "training_log": model.training_log,
        "feature_importance": model.feature_importance,
        "evaluation_policy": "validation_table" if evaluation else "stratified 20% holdout",
    }
    record = ctx.registry.create(
        name=name, kind="gbm", family=str(train_ref).lower(), metadata=metadata, write=model.save
    )
    return {"model_name": name, "active": record.active, "metrics": metadata["metrics"]}


@job("gbm.predict")
def gbm_predict_job(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Predict every row of ``predict_table`` into ``gbm_results_<table>_<ts>``."""
    from binnr.models.gbm import TrainedGbm

    wh, registry = ctx.warehouse, ctx.registry
    record = registry.get(params["model_name"])
    source = wh.ref(params["predict_table"], **_loc(params))
    require_columns(wh, source, ("source",))
    out = wh.derived(source, prefix="gbm_results_", suffix=f"_{timestamp()}")
    if record.metadata.get("engine") == "snowflake_ml":
        from binnr.services.gbm_snowflake_ml import predict_snowflake_ml

        rows = predict_snowflake_ml(ctx, record, source, out)
        return {"table": out.name, "rows": rows, "model_name": record.name}
    ctx.progress.phase("load model", index=1, total=2)
    embed = None
    if record.metadata.get("params", {}).get("features") == "text+embeddings":
        embed = gbm_embedder(
            warehouse=wh,
            training=source,
            model=ctx.settings.embedding_model,
            progress=ctx.progress,
        )
    model = TrainedGbm.load(registry.path(record.name), embed=embed)
    label_map: dict[str, int] = record.metadata["label_map"]
    numbers = [int(label_map[label]) for label in model.labels]

    def score(batch: pa.RecordBatch) -> dict[str, pa.Array]:
        texts = [t or "" for t in batch.column("source").to_pylist()]
        proba = model.predict_proba(texts) if texts else np.zeros((0, len(numbers)))
        return probability_columns(proba, model.labels, numbers)

    ctx.progress.phase("predict", index=2, total=2)
    rows = write_results(
        warehouse=wh,
        source=source,
        out=out,
        fields=PREDICTION_FIELDS,
        score=score,
        progress=ctx.progress,
    )
    return {"table": out.name, "rows": rows, "model_name": record.name}


def check_predict(*, warehouse: Warehouse, registry: ModelRegistry, params: dict[str, Any]) -> None:
    """Checks before queuing a prediction: the model, the table and its ``source`` column."""
    record = registry.get(params["model_name"])
    if record.kind != "gbm":
        raise InvalidInput(
            f"Model {record.name} is a {record.kind} model, not a GBM.",
            hint="Use the predict route of that model's kind.",
        )
    require_columns(warehouse, warehouse.ref(params["predict_table"], **_loc(params)), ("source",))


def check_train(*, warehouse: Warehouse, params: dict[str, Any]) -> None:
    """Checks before queuing training: tables, columns, parameters."""
    from binnr.models.gbm import GbmParams

    if params.get("engine") == "snowflake_ml" and not warehouse.has_native_classification:
        raise NotSupported(
            f"The snowflake_ml engine needs Snowflake; this is the {warehouse.name} warehouse.",
            hint="Use engine=local (binnr's text GBM), or configure SNOWFLAKE_CONFIG.",
        )
    try:
        GbmParams.model_validate(params.get("params") or {})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InvalidInput(
            f"Invalid GBM params: {problems}.", hint="See docs/gbm.md for the documented keys."
        ) from exc
    loc = _loc(params)
    train_ref = warehouse.ref(params["training_table"], **loc)
    resolve_labels(warehouse=warehouse, ref=train_ref, target_column=params.get("target_column"))
    rows = warehouse.query(
        warehouse.render(
            'SELECT COUNT(DISTINCT "target") AS n FROM {t} WHERE "target" IS NOT NULL', t=train_ref
        )
    )
    if int(rows[0]["n"]) < 2:
        raise InvalidInput(
            f"Table {train_ref.name} has labelled rows of {rows[0]['n']} class(es); "
            "at least 2 are needed.",
            hint="Label rows of at least two classes, then recreate the classification tables.",
        )
    if params.get("validation_table"):
        require_columns(warehouse, warehouse.ref(params["validation_table"], **loc))


def _loc(params: dict[str, Any]) -> dict[str, Any]:
    return {"database": params.get("database"), "schema": params.get("schema")}
