"""Writing a results table: every input column plus prediction columns, batch by batch.

The input is streamed in Arrow batches and the output written as it is produced, so memory
stays bounded by one batch whatever the table size; the table appears atomically at the end.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

from binnr.progress import Progress
from binnr.warehouse.base import Warehouse
from binnr.warehouse.names import TableRef

Scorer = Callable[[pa.RecordBatch], dict[str, pa.Array]]


_issued_lock = threading.Lock()
_issued: dict[str, set[str]] = {}  # this second's stamps only


def timestamp() -> str:
    """``yyyymmddHHMMSS_xxxxxx`` (UTC, 6 random hex digits): the suffix of model and results names.

    Seconds alone collide when two jobs finish (or two trainings are submitted) in the same
    second. The random part is never repeated within a second in this process; across
    processes (Celery workers) two names collide with a chance of 1 in 16.7 million per pair
    per second, and :func:`results_table` checks the warehouse besides.
    """
    while True:
        second = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        suffix = secrets.token_hex(3)
        with _issued_lock:
            for old in [k for k in _issued if k != second]:
                del _issued[old]
            taken = _issued.setdefault(second, set())
            if suffix not in taken:
                taken.add(suffix)
                return f"{second}_{suffix}"


def model_name_for(prefix: str, table: TableRef | str) -> str:
    """``<prefix>_<table>_<yyyymmddHHMMSS>_<xxxxxx>``: a model trained on ``table``."""
    name = table.name if isinstance(table, TableRef) else table
    return f"{prefix}_{name.lower()}_{timestamp()}"


def results_table(warehouse: Warehouse, source: TableRef, *, prefix: str) -> TableRef:
    """``<prefix><source>_<yyyymmddHHMMSS>_<xxxxxx>`` beside ``source``, not an existing table."""
    while True:
        out = warehouse.derived(source, prefix=prefix, suffix=f"_{timestamp()}")
        if not warehouse.table_exists(out):
            return out


def write_results(
    *,
    warehouse: Warehouse,
    source: TableRef,
    out: TableRef,
    fields: Sequence[pa.Field],
    score: Scorer,
    progress: Progress,
    batch_size: int = 20_000,
    exclude: Sequence[str] = (),
) -> int:
    """Create ``out`` = ``source`` (less ``exclude``) + the columns ``score`` returns per batch.

    ``score`` sees the whole input batch, excluded columns included; returns rows written.
    """
    select = warehouse.render("SELECT * FROM {t}", t=source)
    in_schema = warehouse.fetch_arrow(
        warehouse.render("SELECT * FROM {t} LIMIT 0", t=source)
    ).schema
    kept = [i for i, f in enumerate(in_schema) if f.name.lower() not in exclude]
    schema = pa.schema([*(in_schema.field(i) for i in kept), *fields])
    total = max(warehouse.row_count(source), 1)

    def batches() -> Iterator[pa.RecordBatch]:
        done = 0
        for batch in warehouse.iter_batches(select, batch_size=batch_size):
            progress.check_cancelled()
            extra = score(batch)
            arrays = [
                *(batch.column(i) for i in kept),
                *(extra[f.name].cast(f.type) for f in fields),
            ]
            done += batch.num_rows
            progress.update(done=done, total=total, message=f"{done:,} of {total:,} rows")
            yield pa.RecordBatch.from_arrays(arrays, schema=schema)

    staging = warehouse.staging(out)
    try:
        rows = warehouse.write_batches(staging, batches(), schema=schema)
        warehouse.publish([(staging, out)])
    except BaseException:
        warehouse.drop_table(staging)
        raise
    return rows


def write_tables(*, warehouse: Warehouse, tables: dict[TableRef, pa.Table]) -> None:
    """Write in-memory tables to staging names, then publish them together (or none)."""
    staged = {final: warehouse.staging(final) for final in tables}
    try:
        for final, data in tables.items():
            batches = data.to_batches(max_chunksize=50_000)
            warehouse.write_batches(staged[final], batches, schema=data.schema)
        warehouse.publish([(stg, final) for final, stg in staged.items()])
    except BaseException:
        for stg in staged.values():
            warehouse.drop_table(stg)
        raise


def probability_columns(
    proba: np.ndarray,
    labels: Sequence[str],
    numbers: Sequence[int],
    chosen: np.ndarray | None = None,
) -> dict[str, pa.Array]:
    """``predicted_target``, ``predicted_label``, ``probability`` and ``predictions``.

    ``chosen`` is each row's predicted class index when the model's decision rule is not the
    most probable class; ``probability`` is the probability of the predicted class.
    ``predictions`` mirrors Snowflake's ``!PREDICT`` output as JSON text:
    ``{"class": "<label>", "probability": {"<label>": p, ...}}``.
    """
    if chosen is not None:
        best = np.asarray(chosen, dtype=int)
    else:
        best = proba.argmax(axis=1) if len(proba) else np.zeros(0, dtype=int)
    predicted = [labels[i] for i in best]
    payload = [
        json.dumps(
            {
                "class": labels[i],
                "probability": {
                    lab: round(float(p), 6) for lab, p in zip(labels, row, strict=True)
                },
            }
        )
        for i, row in zip(best, proba, strict=True)
    ]
    return {
        "predicted_target": pa.array([numbers[i] for i in best], pa.int64()),
        "predicted_label": pa.array(predicted, pa.string()),
        "probability": pa.array(
            proba[np.arange(len(best)), best] if len(proba) else [], pa.float64()
        ),
        "predictions": pa.array(payload, pa.string()),
    }


PREDICTION_FIELDS = (
    pa.field("predicted_target", pa.int64()),
    pa.field("predicted_label", pa.string()),
    pa.field("probability", pa.float64()),
    pa.field("predictions", pa.string()),
)
