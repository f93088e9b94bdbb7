"""Embeddings clustering: embed ``source`` (cached by text hash), cluster, label, evaluate."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pyarrow as pa

from binnr.errors import InvalidInput
from binnr.jobs.registry import JobContext, job
from binnr.models.cluster import hidden_split
from binnr.services.cortex_embedder import embedder_for
from binnr.services.embedding_cache import EmbeddingCache, text_key
from binnr.services.labels import LabelMap, require_columns, resolve_labels
from binnr.warehouse.base import Warehouse
from binnr.warehouse.names import TableRef

_ROWS = 'SELECT "source", "target" FROM {t}'


def check_cluster(*, warehouse: Warehouse, params: dict[str, Any]) -> None:
    """Before queuing: the table, its columns, labelled rows, iterations."""
    if int(params.get("number_of_iterations", 2)) < 1:
        raise InvalidInput(
            "number_of_iterations must be at least 1.", hint="Use 1 or more iterations."
        )
    ref = warehouse.ref(
        params["input_table"], database=params.get("database"), schema=params.get("schema")
    )
    require_columns(warehouse, ref)
    rows = warehouse.query(
        warehouse.render('SELECT COUNT(*) AS n FROM {t} WHERE "target" IS NOT NULL', t=ref)
    )
    if int(rows[0]["n"]) == 0:
        raise InvalidInput(
            f"Table {ref.name} has no labelled rows.",
            hint="Clustering seeds each class with its labelled rows; label some rows first.",
        )


@job("embeddings.cluster")
def cluster_job(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Write ``embeddings_<input>`` and ``embeddings_clustered_<input>``; evaluate on 10%."""
    from binnr.models.cluster import cluster

    wh, progress = ctx.warehouse, ctx.progress
    check_cluster(warehouse=wh, params=params)
    ref = wh.ref(
        params["input_table"], database=params.get("database"), schema=params.get("schema")
    )
    labels = resolve_labels(warehouse=wh, ref=ref)
    progress.phase("read", index=1, total=4)
    table = wh.fetch_arrow(wh.render(_ROWS, t=ref))
    texts = [t or "" for t in table.column("source").to_pylist()]
    numbers = table.column("target").to_pylist()
    embedder = embedder_for(
        settings=ctx.settings, warehouse=wh, near=ref, model=params.get("embedding_model")
    )
    cache = EmbeddingCache(model=embedder.name)
    cache.load(warehouse=wh, ref=wh.derived(ref, prefix="embeddings_"))
    progress.phase("embed", index=2, total=4)
    vectors = cache.embed(texts, embed=lambda batch: embedder.embed(batch, progress=progress))
    progress.phase("cluster", index=3, total=4)
    order = sorted(labels.numbers)
    index = {n: i for i, n in enumerate(order)}
    targets = np.array([index[int(n)] if n is not None else -1 for n in numbers], dtype=int)
    hidden = hidden_split(targets, fraction=0.1, seed=int(params.get("seed", 0)))
    algorithm: Literal["pinned", "seed"] = params.get("algorithm") or "pinned"
    result = cluster(
        embeddings=vectors,
        targets=np.where(hidden, -1, targets),
        n_classes=len(order),
        number_of_iterations=int(params.get("number_of_iterations", 2)),
        n_components=params.get("n_components", 500),
        algorithm=algorithm,
    )
    progress.phase("write", index=4, total=4)
    tables = _write(
        wh,
        ref=ref,
        texts=texts,
        numbers=numbers,
        vectors=vectors,
        model=embedder.name,
        result=result,
        labels=labels,
        order=order,
    )
    return {
        "tables": tables,
        "texts_embedded": cache.embedded,
        "texts_reused": cache.reused,
        "embedding_model": embedder.name,
        "algorithm": algorithm,
        "evaluation": _evaluation(labels, order, targets, result.predicted, hidden),
    }


def _evaluation(
    labels: LabelMap,
    order: list[int],
    targets: np.ndarray,
    predicted: np.ndarray,
    hidden: np.ndarray,
) -> dict[str, Any]:
    """Score the rows whose labels were hidden during clustering."""
    from binnr.models.metrics import evaluate, summary

    names = [labels.numbers[n] for n in order]
    report = evaluate(
        actual=[names[t] for t in targets[hidden]],
        predicted=[names[p] for p in np.asarray(predicted)[hidden]],
        labels=names,
    )
    return {"hidden_rows": int(hidden.sum()), **summary(report), "report": report}


def _write(
    wh: Warehouse,
    *,
    ref: TableRef,
    texts: list[str],
    numbers: list[Any],
    vectors: np.ndarray,
    model: str,
    result: Any,
    labels: LabelMap,
    order: list[int],
) -> list[dict[str, Any]]:
    predicted_numbers = [order[int(p)] for p in result.predicted]
    embeddings = pa.table(
        {
            "source_hash": pa.array([text_key(t) for t in texts], pa.string()),
            "source": pa.array(texts, pa.string()),
            "target": pa.array(numbers, pa.int64()),
            "embedding": pa.array(list(vectors.astype(np.float32)), pa.list_(pa.float32())),
            "embedding_model": pa.array([model] * len(texts), pa.string()),
        }
    )
    clustered = pa.table(
        {
            "source": pa.array(texts, pa.string()),
            "target": pa.array(numbers, pa.int64()),
            "cluster_id": pa.array(np.asarray(result.cluster_id, dtype=np.int64)),
            "similarity": pa.array(np.asarray(result.similarity, dtype=np.float64)),
            "predicted_target": pa.array(predicted_numbers, pa.int64()),
            "predicted_label": pa.array(
                [labels.numbers[n] for n in predicted_numbers], pa.string()
            ),
        }
    )
    out = {
        "embeddings": (wh.derived(ref, prefix="embeddings_"), embeddings),
        "clustered": (wh.derived(ref, prefix="embeddings_clustered_"), clustered),
    }
    staged = {k: wh.staging(final) for k, (final, _) in out.items()}
    try:
        for key, (_, data) in out.items():
            wh.write_batches(staged[key], data.to_batches(max_chunksize=50_000), schema=data.schema)
        wh.publish([(staged[k], final) for k, (final, _) in out.items()])
    except BaseException:
        for stg in staged.values():
            wh.drop_table(stg)
        raise
    return [
        {"role": k, "name": final.name, "rows": data.num_rows} for k, (final, data) in out.items()
    ]
