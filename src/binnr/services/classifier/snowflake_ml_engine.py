"""The ``snowflake_ml`` classifier engine: the original's ``SNOWFLAKE.ML.CLASSIFICATION``.

Kept for parity: Snowflake treats the ``source`` string as one categorical value, so this model
learns little from free text (see docs/gbm.md). The statements come from
:mod:`binnr.backends.snowflake.ml_classification_sql`, built from validated identifiers only.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from binnr.backends.snowflake import ml_classification_sql as sql
from binnr.errors import WarehouseError
from binnr.jobs.context import JobContext
from binnr.models.registry import ModelRecord
from binnr.params.gbm import GbmTrainParams
from binnr.services.label_map import LabelMap, resolve_labels
from binnr.services.predictions import PREDICTION_FIELDS, model_name_for, write_results
from binnr.warehouse.names import TableRef


class SnowflakeMLEngine:
    """SNOWFLAKE.ML.CLASSIFICATION: trains and predicts inside Snowflake."""

    name = "snowflake_ml"
    needs_native_classification = True

    def train(self, ctx: JobContext, params: GbmTrainParams) -> dict[str, Any]:
        return train_snowflake_ml(ctx, params, params.ref(ctx.warehouse, params.training_table))

    def predict(self, ctx: JobContext, record: ModelRecord, source: TableRef, out: TableRef) -> int:
        return predict_snowflake_ml(ctx, record, source, out)


def train_snowflake_ml(ctx: JobContext, params: GbmTrainParams, train: TableRef) -> dict[str, Any]:
    """CREATE the classifier on (``source``, ``target``) and register it with its metrics."""
    wh = ctx.warehouse
    labels = resolve_labels(warehouse=wh, ref=train, target_column=params.target_column)
    name = model_name_for("gbm", train)
    model = train.with_name(wh.fold(name))
    features = wh.staging(wh.derived(train, suffix="_ml_input"))
    ctx.progress.phase("SNOWFLAKE.ML.CLASSIFICATION", index=1, total=1)
    wh.execute(
        wh.render('CREATE TABLE {out} AS SELECT "source", "target" FROM {t}', out=features, t=train)
    )
    try:
        wh.execute(
            sql.create_classification_sql(model=model, training_table=features, target_col="target")
        )
        evaluation = wh.query(sql.show_evaluation_metrics_sql(model=model))
    except WarehouseError as exc:
        raise WarehouseError(
            f"SNOWFLAKE.ML.CLASSIFICATION failed: {exc.message}",
            hint="The role needs CREATE SNOWFLAKE.ML.CLASSIFICATION on the schema; or train "
            "with engine=local (binnr's text GBM).",
        ) from exc
    finally:
        wh.drop_table(features)
    metadata = {
        "engine": "snowflake_ml",
        "snowflake_model": str(model),
        "training_table": str(train),
        "label_map": labels.to_metadata(),
        "metrics": {"macro_f1": None},
        "snowflake_evaluation": evaluation,
        "evaluation_policy": "Snowflake's own holdout (SHOW_EVALUATION_METRICS)",
    }
    record = ctx.models.create(
        name=name, kind="gbm", family=str(train).lower(), metadata=metadata, write=lambda _: None
    )
    return {"model_name": record.name, "engine": "snowflake_ml", "active": record.active}


def predict_snowflake_ml(
    ctx: JobContext, record: ModelRecord, source: TableRef, out: TableRef
) -> int:
    """``model!PREDICT`` into a scratch table, then the usual prediction columns."""
    wh = ctx.warehouse
    model = TableRef(*reversed(record.metadata["snowflake_model"].split(".")))  # name, schema, db
    scratch = wh.staging(wh.derived(source, prefix="ml_predict_"))
    wh.execute(sql.predict_sql(model=model, predict_table=source, result_table=scratch))
    label_map = LabelMap.from_metadata(record.metadata)
    by_number, labels = label_map.numbers, label_map.labels

    def score(batch: pa.RecordBatch) -> dict[str, pa.Array]:
        raw = [
            json.loads(v) if isinstance(v, str) else v
            for v in batch.column("predictions").to_pylist()
        ]
        classes = [int(float(r["class"])) for r in raw]
        probs = [
            {by_number[int(float(k))]: float(p) for k, p in r["probability"].items()} for r in raw
        ]
        return {
            "predicted_target": pa.array(classes, pa.int64()),
            "predicted_label": pa.array([by_number[c] for c in classes], pa.string()),
            "probability": pa.array([max(p.values()) for p in probs], pa.float64()),
            "predictions": pa.array(
                [
                    json.dumps(
                        {
                            "class": by_number[c],
                            "probability": {lab: p.get(lab, 0.0) for lab in labels},
                        }
                    )
                    for c, p in zip(classes, probs, strict=True)
                ],
                pa.string(),
            ),
        }

    try:
        return write_results(
            warehouse=wh,
            source=scratch,
            out=out,
            fields=PREDICTION_FIELDS,
            score=score,
            progress=ctx.progress,
            exclude=("predictions",),
        )
    finally:
        wh.drop_table(scratch)
