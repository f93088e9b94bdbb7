"""What every LLM provider shares: result columns, training pairs, model look-up, labels."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from binnr.errors import NotFound
from binnr.models.registry import ModelRecord, ModelRegistry
from binnr.services.label_map import LabelMap, resolve_labels
from binnr.warehouse.base import Warehouse
from binnr.warehouse.names import TableRef

LLM_FIELDS = (
    pa.field("llm_response", pa.string()),
    pa.field("predicted_label", pa.string()),
    pa.field("predicted_target", pa.int64()),
)
_PAIRS = (
    'SELECT "source", {c} AS completion FROM {t} WHERE {c} IS NOT NULL AND "target" IS NOT NULL'
)


def read_pairs(*, warehouse: Warehouse, ref: TableRef, label_column: str) -> list[tuple[str, str]]:
    """(prompt, completion) = (``source``, label text) for every labelled row."""
    sql = warehouse.render(_PAIRS, c=label_column, t=ref)
    return [(r["source"] or "", str(r["completion"])) for r in warehouse.query(sql)]


def find_model(registry: ModelRegistry, name: str, *, unregistered_ok: bool) -> ModelRecord | None:
    """The registered LLM ``name``; where the provider serves models of its own
    (``unregistered_ok``), an unregistered name is such a model (zero-shot): ``None``."""
    try:
        return registry.get(name)
    except NotFound:
        if unregistered_ok:
            return None
        raise


def label_set(*, warehouse: Warehouse, record: ModelRecord | None, predict: TableRef) -> LabelMap:
    """The model's labels, or (zero-shot) the predict table's."""
    if record is not None:
        return LabelMap.from_metadata(record.metadata)
    return resolve_labels(warehouse=warehouse, ref=predict)


def softmax(scores: list[dict[str, float] | None], labels: list[str]) -> np.ndarray | None:
    """Label probabilities from per-label log-likelihoods (None if any row has none)."""
    if not scores or any(s is None for s in scores):
        return None
    raw = np.array([[s[label] for label in labels] for s in scores if s is not None])
    raw = raw - raw.max(axis=1, keepdims=True)
    exp = np.exp(raw)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True))
