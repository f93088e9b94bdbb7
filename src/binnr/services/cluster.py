"""Embeddings clustering: embed ``source`` (cached by text hash), cluster, label, evaluate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from binnr.errors import InvalidInput
from binnr.jobs.context import JobContext
from binnr.models.cluster import cluster, hidden_split
from binnr.models.embeddings import vector_key
from binnr.models.metrics import evaluate, summary
from binnr.params.cluster import ClusterParams
from binnr.services.embedders import embedder_for
from binnr.services.embedding_cache import EmbeddingCache, text_key
from binnr.services.label_map import LabelMap, require_columns, resolve_labels
from binnr.services.predictions import write_tables
from binnr.warehouse.base import Warehouse
from binnr.warehouse.names import TableRef

_ROWS = 'SELECT "source", "target" FROM {t}'


def check_cluster(*, warehouse: Warehouse, params: ClusterParams) -> None:
    """Before queuing: the table, its columns, labelled rows."""
    ref = params.ref(warehouse, params.input_table)
    require_columns(warehouse, ref)
    rows = warehouse.query(
        warehouse.render('SELECT COUNT(*) AS n FROM {t} WHERE "target" IS NOT NULL', t=ref)
    )
    if int(rows[0]["n"]) == 0:
        raise InvalidInput(
            f"Table {ref.name} has no labelled rows.",
            hint="Clustering seeds each class with its labelled rows; label some rows first.",
        )


@dataclass
class _Rows:
    """The input rows, their embeddings and the model that made them."""

    texts: list[str]
    numbers: list[Any]
    vectors: np.ndarray
    model: str
    key: str  # the cache name of the vectors (model and precision: vector_key)


def cluster_job(ctx: JobContext, params: ClusterParams) -> dict[str, Any]:
    """Write ``embeddings_<input>`` and ``embeddings_clustered_<input>``; evaluate on 10%."""
    wh, progress = ctx.warehouse, ctx.progress
    check_cluster(warehouse=wh, params=params)
    ref = params.ref(wh, params.input_table)
    labels = resolve_labels(warehouse=wh, ref=ref)
    rows, cache = _embed(ctx, ref=ref, model=params.embedding_model)
    progress.phase("cluster", index=3, total=4)
    order = sorted(labels.numbers)
    index = {n: i for i, n in enumerate(order)}
    targets = np.array([index[int(n)] if n is not None else -1 for n in rows.numbers], dtype=int)
    hidden = hidden_split(targets, fraction=0.1, seed=params.seed)
    result = cluster(
        embeddings=rows.vectors,
        targets=np.where(hidden, -1, targets),
        n_classes=len(order),
        number_of_iterations=params.number_of_iterations,
        n_components=params.n_components,
        algorithm=params.algorithm,
        progress=progress,
    )
    progress.phase("write", index=4, total=4)
    predicted = [order[int(p)] for p in result.predicted]
    out = {
        wh.derived(ref, prefix="embeddings_"): _embeddings_table(rows),
        wh.derived(ref, prefix="embeddings_clustered_"): _clustered_table(
            rows, result, predicted, labels
        ),
    }
    write_tables(warehouse=wh, tables=out)
    return {
        "tables": [
            {"role": role, "name": t.name, "rows": out[t].num_rows}
            for role, t in zip(("embeddings", "clustered"), out, strict=True)
        ],
        "texts_embedded": cache.embedded,
        "texts_reused": cache.reused,
        "embedding_model": rows.model,
        "algorithm": params.algorithm,
        "evaluation": _evaluation(labels, order, targets, result.predicted, hidden),
    }


def _embed(ctx: JobContext, *, ref: TableRef, model: str | None) -> tuple[_Rows, EmbeddingCache]:
    """Read ``source``/``target`` and embed, reusing ``embeddings_<input>`` where it can."""
    wh, progress = ctx.warehouse, ctx.progress
    progress.phase("read", index=1, total=4)
    table = wh.fetch_arrow(wh.render(_ROWS, t=ref))
    texts = [t or "" for t in table.column("source").to_pylist()]
    embedder = embedder_for(settings=ctx.settings, warehouse=wh, near=ref, model=model)
    key = vector_key(embedder)  # int8 and fp32 vectors never mix
    cache = EmbeddingCache(model=key)
    cache.load(warehouse=wh, ref=wh.derived(ref, prefix="embeddings_"))
    progress.phase("embed", index=2, total=4)
    vectors = cache.embed(texts, embed=lambda batch: embedder.embed(batch, progress=progress))
    numbers = table.column("target").to_pylist()
    rows = _Rows(texts=texts, numbers=numbers, vectors=vectors, model=embedder.name, key=key)
    return rows, cache


def _evaluation(
    labels: LabelMap,
    order: list[int],
    targets: np.ndarray,
    predicted: np.ndarray,
    hidden: np.ndarray,
) -> dict[str, Any]:
    """Score the rows whose labels were hidden during clustering."""
    names = labels.labels
    report = evaluate(
        actual=[names[t] for t in targets[hidden]],
        predicted=[names[p] for p in np.asarray(predicted)[hidden]],
        labels=names,
    )
    return {"hidden_rows": int(hidden.sum()), **summary(report), "report": report}


def _embeddings_table(rows: _Rows) -> pa.Table:
    return pa.table(
        {
            "source_hash": pa.array([text_key(t) for t in rows.texts], pa.string()),
            "source": pa.array(rows.texts, pa.string()),
            "target": pa.array(rows.numbers, pa.int64()),
            "embedding": pa.array(list(rows.vectors.astype(np.float32)), pa.list_(pa.float32())),
            "embedding_model": pa.array([rows.key] * len(rows.texts), pa.string()),
        }
    )


def _clustered_table(rows: _Rows, result: Any, predicted: list[int], labels: LabelMap) -> pa.Table:
    return pa.table(
        {
            "source": pa.array(rows.texts, pa.string()),
            "target": pa.array(rows.numbers, pa.int64()),
            "cluster_id": pa.array(np.asarray(result.cluster_id, dtype=np.int64)),
            "similarity": pa.array(np.asarray(result.similarity, dtype=np.float64)),
            "predicted_target": pa.array(predicted, pa.int64()),
            "predicted_label": pa.array([labels.numbers[n] for n in predicted], pa.string()),
        }
    )
