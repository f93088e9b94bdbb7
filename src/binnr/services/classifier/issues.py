"""The label-issue report: ``label_issues_<training_table>``, and reading it back.

The ensemble ranks the labelled rows whose given label its held-out probabilities doubt most
(confident learning, :mod:`binnr.models.label_issues`). Rows are numbered in the order the job
read them: the training table's labelled rows, then the validation table's.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from binnr.errors import NotFound
from binnr.jobs.context import JobContext
from binnr.models.label_issues import LabelIssue
from binnr.models.registry import ModelRecord
from binnr.services.classifier.model_kinds import TrainingData
from binnr.services.embedding_cache import text_key
from binnr.services.predictions import write_tables
from binnr.warehouse.base import Warehouse
from binnr.warehouse.names import TableRef

_SELECT = 'SELECT * FROM {t} ORDER BY "rank" LIMIT ?'


def write_label_issues(ctx: JobContext, data: TrainingData, issues: list[LabelIssue]) -> TableRef:
    """Write (replace) ``label_issues_<training_table>``; returns its name."""
    texts = data.train.texts + (data.evaluation.texts if data.evaluation else [])
    n_train = len(data.train.texts)
    rows = [(i, texts[i.index]) for i in issues]
    table = pa.table(
        {
            "row_number": pa.array([i.index for i, _ in rows], pa.int64()),
            "from_table": pa.array(
                ["train" if i.index < n_train else "validation" for i, _ in rows], pa.string()
            ),
            "source_hash": pa.array([text_key(t) for _, t in rows], pa.string()),
            "source": pa.array([t for _, t in rows], pa.string()),
            "given_label": pa.array([i.given for i, _ in rows], pa.string()),
            "suggested_label": pa.array([i.suggested for i, _ in rows], pa.string()),
            "label_quality": pa.array([i.quality for i, _ in rows], pa.float64()),
            "rank": pa.array([i.rank for i, _ in rows], pa.int64()),
        }
    )
    out = ctx.warehouse.derived(data.table, prefix="label_issues_")
    write_tables(warehouse=ctx.warehouse, tables={out: table})
    return out


def read_label_issues(*, warehouse: Warehouse, record: ModelRecord, limit: int) -> dict[str, Any]:
    """The ``limit`` most suspicious rows of a model's report, most suspicious first."""
    stored = record.metadata.get("label_issues")
    if not stored:
        raise NotFound(
            f"Model {record.name} has no label-issue report.",
            hint="Only models trained with params.model auto, linear, embeddings or stack "
            "rank suspicious labels; train one, then ask again.",
        )
    training = _ref_of(record.metadata["training_table"])
    ref = training.with_name(stored["table"])
    rows = warehouse.query(warehouse.render(_SELECT, t=ref), [limit])
    return {"model_name": record.name, "table": ref.name, "total": stored["rows"], "rows": rows}


def _ref_of(qualified: str) -> TableRef:
    parts = qualified.split(".")
    return TableRef(parts[-1], *(reversed(parts[:-1])))
