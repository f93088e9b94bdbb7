"""Scoring: a model's stored evaluation, or a results table against its known ``target``."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from binnr.errors import InvalidInput
from binnr.models.metrics import evaluate
from binnr.models.registry import ModelRecord, ModelRegistry
from binnr.services.label_map import LabelMap, require_columns
from binnr.warehouse.base import Warehouse
from binnr.warehouse.names import TableRef

_HEADLINE = ("n", "accuracy", "macro_f1", "weighted_f1", "log_loss", "roc_auc_ovr", "per_class")


def model_evaluation(
    *,
    warehouse: Warehouse,
    registry: ModelRegistry,
    name: str,
    results_table: str | None,
    database: str | None = None,
    schema: str | None = None,
) -> dict[str, Any]:
    """A model's stored evaluation, or the scoring of one of its results tables."""
    record = registry.get(name)
    if results_table is None:
        return stored_evaluation(record)
    ref = warehouse.ref(results_table, database=database, schema=schema)
    return results_evaluation(warehouse=warehouse, record=record, results=ref)


def stored_evaluation(record: ModelRecord) -> dict[str, Any]:
    """Accuracy and per-class figures of a model on its own evaluation split."""
    report = record.metadata.get("report") or {}
    return {
        "model_name": record.name,
        "evaluated_on": record.metadata.get("evaluation_policy", "evaluation split"),
        **{k: report.get(k) for k in _HEADLINE},
    }


def results_evaluation(
    *, warehouse: Warehouse, record: ModelRecord, results: TableRef
) -> dict[str, Any]:
    """Score a results table (``predicted_label`` vs the label of its known ``target``)."""
    columns = require_columns(warehouse, results, ("target", "predicted_label"))
    has_proba = "predictions" in columns
    select = 'SELECT "target", "predicted_label"' + (', "predictions"' if has_proba else "")
    rows = warehouse.query(
        warehouse.render(select + ' FROM {t} WHERE "target" IS NOT NULL', t=results)
    )
    if not rows:
        raise InvalidInput(
            f"Results table {results.name} has no rows with a known target.",
            hint="Score predictions made on a labelled table, e.g. the validation table.",
        )
    label_map = LabelMap.from_metadata(record.metadata)
    labels = label_map.labels
    actual = [label_map.label(r["target"]) for r in rows]
    predicted = [r["predicted_label"] for r in rows]
    proba = _probabilities(rows, labels) if has_proba else None
    report = evaluate(actual=actual, predicted=predicted, labels=labels, probabilities=proba)
    return {
        "model_name": record.name,
        "evaluated_on": f"results table {results.name}",
        **{k: report.get(k) for k in _HEADLINE},
    }


def _probabilities(rows: list[dict[str, Any]], labels: list[str]) -> np.ndarray | None:
    matrix = np.zeros((len(rows), len(labels)))
    for i, row in enumerate(rows):
        try:
            probs = json.loads(row["predictions"] or "{}").get("probability") or {}
        except (TypeError, ValueError):
            return None
        if not probs:
            return None
        matrix[i] = [float(probs.get(label, 0.0)) for label in labels]
    return matrix
