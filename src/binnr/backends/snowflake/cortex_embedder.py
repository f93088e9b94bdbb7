"""Embeddings computed inside Snowflake with ``SNOWFLAKE.CORTEX.EMBED_TEXT_768``.

The texts to embed are written to a scratch table, embedded there with the original's
statement, and read back as arrays; the scratch tables are dropped afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from binnr.backends.snowflake.cortex_embed_sql import (
    DEFAULT_MODEL,
    EMBEDDING_DIM,
    embed_sql,
    select_embeddings_sql,
)
from binnr.progress import NullProgress, Progress
from binnr.warehouse.base import Warehouse
from binnr.warehouse.names import TableRef


class CortexEmbedder:
    """An :class:`~binnr.models.embeddings.base.Embedder` that runs in the warehouse."""

    dim = EMBEDDING_DIM

    def __init__(self, *, warehouse: Warehouse, near: TableRef, model: str = DEFAULT_MODEL):
        self.warehouse, self.near, self.name = warehouse, near, model

    def embed(
        self, texts: Sequence[str | None], *, progress: Progress = NullProgress()
    ) -> np.ndarray:
        """L2-normalised embeddings of ``texts``, in order."""
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        wh = self.warehouse
        scratch = wh.staging(wh.derived(self.near, prefix="cortex_in_"))
        out = wh.staging(wh.derived(self.near, prefix="cortex_out_"))
        data = pa.table(
            {
                "id": pa.array(range(len(texts)), pa.int64()),
                "source": pa.array(list(texts), pa.string()),
            }
        )
        try:
            wh.write_batches(scratch, data.to_batches(), schema=data.schema)
            progress.update(message=f"embedding {len(texts):,} texts in Snowflake Cortex")
            sql, binds = embed_sql(source_table=scratch, out_table=out, model=self.name)
            wh.execute(sql, binds)
            sql, binds = select_embeddings_sql(table=out)
            rows = wh.query(sql, binds)
        finally:
            wh.drop_table(scratch)
            wh.drop_table(out)
        vectors = np.array([_floats(r["embedding"]) for r in rows], dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        progress.update(done=len(texts), total=len(texts))
        return np.asarray(vectors / np.where(norms == 0, 1, norms), dtype=np.float32)


def _floats(value: object) -> list[float]:
    if isinstance(value, str):  # the connector returns ARRAY values as JSON text
        return [float(v) for v in json.loads(value)]
    return [float(v) for v in value]  # type: ignore[attr-defined]
