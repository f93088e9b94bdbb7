"""The ``local`` classifier engine: binnr's own text classifiers, trained on this machine.

Which model (the ``auto`` ensemble or the original text GBM) is
:mod:`binnr.services.classifier.model_kinds`' business; this module reads the tables,
registers the model, writes the label-issue table and the prediction tables.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from binnr.jobs.context import JobContext
from binnr.models.registry import ModelRecord
from binnr.models.train_entry import prepare_kernels
from binnr.params.gbm import GbmTrainParams
from binnr.services.classifier.issues import write_label_issues
from binnr.services.classifier.model_kinds import (
    Fitted,
    TrainingData,
    kind_for_training,
    kind_of,
)
from binnr.services.label_map import LabelMap, resolve_labels
from binnr.services.predictions import (
    PREDICTION_FIELDS,
    model_name_for,
    probability_columns,
    write_results,
)
from binnr.services.training_data import read_labelled, require_classes


class LocalEngine:
    """binnr's own classifiers (see docs/gbm.md); runs on every warehouse."""

    name = "local"
    needs_native_classification = False

    def train(self, ctx: JobContext, params: GbmTrainParams) -> dict[str, Any]:
        """Train on ``training_table`` (evaluated on ``validation_table`` if given), register."""
        data = _read(ctx, params)
        kind = kind_for_training(params)
        fitted = kind.fit(ctx, params, data)
        try:
            return self._register(ctx, data, kind.format, fitted, params)
        finally:
            fitted.discard()

    def _register(
        self,
        ctx: JobContext,
        data: TrainingData,
        format: str,
        fitted: Fitted,
        params: GbmTrainParams,
    ) -> dict[str, Any]:
        name = model_name_for("gbm", data.table)
        metadata = {
            **_metadata(params, data),
            **fitted.metadata,
            "format": format,
        }
        if fitted.label_issues is not None:
            issues = write_label_issues(ctx, data, fitted.label_issues)
            metadata["label_issues"] = {"table": issues.name, "rows": len(fitted.label_issues)}
        record = ctx.models.create(
            name=name,
            kind="gbm",
            family=str(data.table).lower(),
            metadata=metadata,
            write=fitted.save,
        )
        return {"model_name": name, "active": record.active, "metrics": metadata["metrics"]}

    def predict(self, ctx: JobContext, record: ModelRecord, source: Any, out: Any) -> int:
        """Probabilities for every row of ``source`` into ``out``."""
        ctx.progress.phase("load model", index=1, total=2)
        prepare_kernels(ctx.settings)  # their first compile, off this interpreter
        model = kind_of(record).load(ctx, record, source)
        label_map = LabelMap.from_metadata(record.metadata)
        by_label = label_map.to_metadata()
        numbers = [by_label[label] for label in model.labels]

        def score(batch: pa.RecordBatch) -> dict[str, pa.Array]:
            texts = [t or "" for t in batch.column("source").to_pylist()]
            proba, chosen = model.scores(texts)
            return probability_columns(proba, model.labels, numbers, chosen)

        ctx.progress.phase("predict", index=2, total=2)
        return write_results(
            warehouse=ctx.warehouse,
            source=source,
            out=out,
            fields=PREDICTION_FIELDS,
            score=score,
            progress=ctx.progress,
        )


def _read(ctx: JobContext, params: GbmTrainParams) -> TrainingData:
    wh = ctx.warehouse
    train_ref = params.ref(wh, params.training_table)
    ctx.progress.phase("read", index=1, total=2)
    labels = resolve_labels(warehouse=wh, ref=train_ref, target_column=params.target_column)
    train = read_labelled(warehouse=wh, ref=train_ref, labels=labels)
    require_classes(train, table=train_ref.name)
    evaluation = None
    if params.validation_table:
        val_ref = params.ref(wh, params.validation_table)
        evaluation = read_labelled(warehouse=wh, ref=val_ref, labels=labels)
    return TrainingData(table=train_ref, labels=labels, train=train, evaluation=evaluation)


def _metadata(params: GbmTrainParams, data: TrainingData) -> dict[str, Any]:
    return {
        "training_table": str(data.table),
        "validation_table": params.validation_table,
        "label_column": data.labels.column,
        "label_map": data.labels.to_metadata(),
        "rows": {
            "train": len(data.train.texts),
            "validation": len(data.evaluation.texts) if data.evaluation else 0,
        },
        "evaluation_policy": "validation_table" if data.evaluation else "held-out training rows",
    }
