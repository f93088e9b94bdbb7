"""The classifiers' embedding cache keeps int8 and fp32 vectors of one model apart."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from binnr.services import embedding_cache
from binnr.settings import Settings
from binnr.warehouse.names import TableRef


class FakeEmbedder:
    """Counts the texts it embeds; its vectors say which precision made them."""

    name = "all-MiniLM-L6-v2"
    dim = 2

    def __init__(self, precision: str) -> None:
        self.precision = precision
        self.calls: list[str] = []

    def embed(self, texts: Sequence[str | None], **_: Any) -> np.ndarray:
        self.calls.extend(str(t) for t in texts)
        value = 8.0 if self.precision == "int8" else 32.0
        return np.full((len(texts), self.dim), value, dtype=np.float32)


class NoTables:
    """A warehouse without any ``embeddings_*`` table: only the on-disk shards count."""

    def table_exists(self, ref: TableRef) -> bool:
        return False

    def derived(self, ref: TableRef, *, prefix: str = "") -> TableRef:
        return ref.with_name(prefix + ref.name)


def _embed(
    precision: str, home: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[FakeEmbedder, np.ndarray]:
    fake = FakeEmbedder(precision)
    monkeypatch.setattr(embedding_cache, "get_embedder", lambda settings, name=None: fake)
    embed = embedding_cache.gbm_embedder(
        settings=Settings(home=home),
        warehouse=NoTables(),  # type: ignore[arg-type]
        training=TableRef("x_source_target_train"),
        model="all-MiniLM-L6-v2",
    )
    return fake, embed(["a", "b"])


def test_vectors_of_one_precision_are_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    _embed("int8", tmp_path, monkeypatch)
    again, vectors = _embed("int8", tmp_path, monkeypatch)
    assert again.calls == [] and vectors[0, 0] == 8.0


def test_int8_and_fp32_vectors_never_mix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    _embed("fp32", tmp_path, monkeypatch)
    int8, vectors = _embed("int8", tmp_path, monkeypatch)
    assert int8.calls == ["a", "b"] and vectors[0, 0] == 8.0  # fp32 shards were not used
    fp32, vectors = _embed("fp32", tmp_path, monkeypatch)
    assert fp32.calls == [] and vectors[0, 0] == 32.0
    folders = sorted(p.name for p in (tmp_path / "cache" / "vectors").iterdir())
    assert folders == ["all-MiniLM-L6-v2", "all-MiniLM-L6-v2_int8"]
