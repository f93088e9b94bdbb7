"""Embeddings keyed by a hash of the text, reused across runs.

Two sources: the ``embeddings_<input_table>`` table the clustering job writes, and the vectors
the classifier jobs computed, kept on disk under ``BINNR_HOME/cache/vectors/<model>/`` as
append-only ``.npz`` shards (one per job that embedded something new). A rerun, a prediction
after training, or a classifier after a clustering run embeds only texts whose hash is in
neither for the same embedding model and precision (:func:`~binnr.models.embeddings.vector_key`:
int8 vectors are stored as ``<model>@int8``, apart from fp32 ones).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from binnr.models.embeddings import get_embedder, vector_key
from binnr.progress import NullProgress, Progress
from binnr.settings import Settings
from binnr.warehouse.base import Warehouse
from binnr.warehouse.names import TableRef

CACHE_COLUMNS = ("source_hash", "embedding", "embedding_model")


def text_key(text: str) -> str:
    """The cache key of a text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass
class EmbeddingCache:
    """Known embeddings by text key, and how many texts were embedded vs reused."""

    model: str
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    embedded: int = 0
    reused: int = 0

    def load(self, *, warehouse: Warehouse, ref: TableRef) -> None:
        """Add the embeddings of ``ref`` (made with the same model), if that table exists."""
        if not warehouse.table_exists(ref):
            return
        if not set(CACHE_COLUMNS) <= {c.name for c in warehouse.columns(ref)}:
            return
        sql = warehouse.render(
            'SELECT DISTINCT "source_hash", "embedding" FROM {t} WHERE "embedding_model" = ?', t=ref
        )
        for batch in warehouse.iter_batches(sql, [self.model]):
            for key, vec in zip(
                batch.column("source_hash").to_pylist(),
                batch.column("embedding").to_pylist(),
                strict=True,
            ):
                if isinstance(vec, str):  # JSON text where the warehouse has no list type
                    vec = json.loads(vec)
                if vec is not None:
                    self.vectors[key] = np.asarray(vec, dtype=np.float32)

    def embed(
        self,
        texts: Sequence[str],
        *,
        embed: Callable[[list[str]], np.ndarray],
    ) -> np.ndarray:
        """Embeddings of ``texts`` in order, calling ``embed`` only for unseen texts."""
        keys = [text_key(t) for t in texts]
        missing: dict[str, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in self.vectors and key not in missing:
                missing[key] = text
        if missing:
            fresh = embed(list(missing.values()))
            self.vectors.update(zip(missing, fresh, strict=True))
        self.embedded += len(missing)
        self.reused += len(set(keys)) - len(missing)
        return np.stack([self.vectors[k] for k in keys]) if keys else np.zeros((0, 0), np.float32)


class VectorShards:
    """The classifier jobs' embeddings of one model on disk (append-only ``.npz`` shards)."""

    def __init__(self, root: Path, model: str) -> None:
        self.folder = root / re.sub(r"[^A-Za-z0-9_.-]+", "_", model)[:100]

    def load_into(self, cache: EmbeddingCache) -> None:
        """Add every stored vector to ``cache``."""
        for shard in sorted(self.folder.glob("*.npz")):
            with np.load(shard) as data:
                cache.vectors.update(zip(data["keys"].tolist(), data["vectors"], strict=True))

    def save(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        """Store new vectors as one shard, written under a temporary name then renamed."""
        if not len(keys):
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        name = uuid.uuid4().hex
        tmp = self.folder / f".{name}.tmp.npz"
        np.savez(tmp, keys=np.asarray(keys), vectors=np.asarray(vectors, dtype=np.float32))
        tmp.rename(self.folder / f"{name}.npz")


def gbm_embedder(
    *,
    settings: Settings,
    warehouse: Warehouse,
    training: TableRef,
    model: str,
    progress: Progress = NullProgress(),
) -> Callable[[Sequence[str]], np.ndarray]:
    """An ``embed(texts)`` for the classifiers that embeds only texts seen nowhere before.

    ``x_source_target_train`` and ``..._validation`` share texts with ``x_source_target``, so
    the cache of ``embeddings_x_source_target`` (and of the table itself) is consulted, then
    the vectors earlier classifier jobs stored on disk; new vectors are stored there too.
    """
    embedder = get_embedder(settings, name=model)
    key = vector_key(embedder)  # int8 and fp32 vectors never mix
    cache = EmbeddingCache(model=key)
    for base in _base_tables(training):
        cache.load(warehouse=warehouse, ref=warehouse.derived(base, prefix="embeddings_"))
    shards = VectorShards(settings.cache_dir / "vectors", key)
    shards.load_into(cache)

    def fresh(batch: list[str]) -> np.ndarray:
        vectors = embedder.embed(batch, progress=progress)
        shards.save([text_key(t) for t in batch], vectors)
        return vectors

    def embed(texts: Sequence[str]) -> np.ndarray:
        return cache.embed(texts, embed=fresh)

    return embed


def _base_tables(ref: TableRef) -> list[TableRef]:
    names = [ref.name]
    for suffix in ("_train", "_validation", "_predict"):
        if ref.name.lower().endswith(suffix):
            names.append(ref.name[: -len(suffix)])
    return [ref.with_name(n) for n in names]
