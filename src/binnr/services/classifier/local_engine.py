"""The ``local`` classifier engine: binnr's own text classifier, trained on this machine."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from binnr.jobs.context import JobContext
from binnr.models import gbm
from binnr.models.metrics import summary
from binnr.models.registry import ModelRecord
from binnr.params.gbm import GbmTrainParams
from binnr.services.embedding_cache import gbm_embedder
from binnr.services.label_map import LabelMap, resolve_labels
from binnr.services.predictions import (
    PREDICTION_FIELDS,
    model_name_for,
    probability_columns,
    write_results,
)
from binnr.services.training_data import LabelledText, read_labelled, require_classes
from binnr.warehouse.names import TableRef


class LocalEngine:
    """binnr's text GBM (see :mod:`binnr.models.gbm`); runs on every warehouse."""

    name = "local"
    needs_native_classification = False

    def train(self, ctx: JobContext, params: GbmTrainParams) -> dict[str, Any]:
        """Train on ``training_table`` (evaluated on ``validation_table`` if given), register."""
        wh = ctx.warehouse
        train_ref = params.ref(wh, params.training_table)
        ctx.progress.phase("read", index=1, total=2)
        labels = resolve_labels(warehouse=wh, ref=train_ref, target_column=params.target_column)
        train = read_labelled(warehouse=wh, ref=train_ref, labels=labels)
        require_classes(train, table=train_ref.name)
        evaluation = None
        if params.validation_table:
            evaluation = read_labelled(
                warehouse=wh, ref=params.ref(wh, params.validation_table), labels=labels
            )
        model = gbm.train(
            texts=train.texts,
            labels=train.labels,
            eval_texts=evaluation.texts if evaluation else None,
            eval_labels=evaluation.labels if evaluation else None,
            params=params.params,
            progress=ctx.progress,
            embed=self._embedder(ctx, train_ref, params.params.features),
        )
        name = model_name_for("gbm", train_ref)
        metadata = _metadata(params, model, labels, train_ref, train, evaluation)
        record = ctx.models.create(
            name=name,
            kind="gbm",
            family=str(train_ref).lower(),
            metadata=metadata,
            write=model.save,
        )
        return {"model_name": name, "active": record.active, "metrics": metadata["metrics"]}

    def predict(self, ctx: JobContext, record: ModelRecord, source: TableRef, out: TableRef) -> int:
        """Probabilities for every row of ``source`` into ``out``."""
        ctx.progress.phase("load model", index=1, total=2)
        features = record.metadata.get("params", {}).get("features", "text")
        embed = self._embedder(ctx, source, features)
        model = gbm.TrainedGbm.load(ctx.models.path(record.name), embed=embed)
        label_map = LabelMap.from_metadata(record.metadata)
        numbers = [int(label_map.to_metadata()[label]) for label in model.labels]

        def score(batch: pa.RecordBatch) -> dict[str, pa.Array]:
            texts = [t or "" for t in batch.column("source").to_pylist()]
            proba = model.predict_proba(texts) if texts else np.zeros((0, len(numbers)))
            return probability_columns(proba, model.labels, numbers)

        ctx.progress.phase("predict", index=2, total=2)
        return write_results(
            warehouse=ctx.warehouse,
            source=source,
            out=out,
            fields=PREDICTION_FIELDS,
            score=score,
            progress=ctx.progress,
        )

    @staticmethod
    def _embedder(ctx: JobContext, near: TableRef, features: str) -> gbm.Embed | None:
        if features != "text+embeddings":
            return None
        return gbm_embedder(
            warehouse=ctx.warehouse,
            training=near,
            model=ctx.settings.embedding_model,
            progress=ctx.progress,
        )


def _metadata(
    params: GbmTrainParams,
    model: gbm.TrainedGbm,
    labels: LabelMap,
    train_ref: TableRef,
    train: LabelledText,
    evaluation: LabelledText | None,
) -> dict[str, Any]:
    return {
        "training_table": str(train_ref),
        "validation_table": params.validation_table,
        "label_column": labels.column,
        "label_map": labels.to_metadata(),
        "rows": {
            "train": len(train.texts),
            "validation": len(evaluation.texts) if evaluation else 0,
        },
        "params": params.params.model_dump(),
        "metrics": summary(model.report),
        "report": model.report,
        "training_log": model.training_log,
        "feature_importance": model.feature_importance,
        "evaluation_policy": "validation_table" if evaluation else "stratified 20% holdout",
    }
