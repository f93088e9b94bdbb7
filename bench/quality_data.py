"""Datasets, the fixed split and a disk cache of sentence embeddings for ``bench/quality.py``.

The cache keys each vector by sha1(model name + text), so reruns (and the chunks of long texts,
which the ensemble's chunking wrapper sends as separate texts) skip the encoder. Shards are
``.npz`` files (keys + float32 rows) under ``--cache``; nothing is pickled.

    python bench/quality_data.py            # warm the cache for every dataset
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CACHE = Path("/tmp/binnr-quality-cache")
HOME = Path("/tmp/binnr-quality-home")
# name: (file, text column, label column); every label value kept as it is (bbc's mixed case)
DATASETS = {
    "tweets": ("tweet_sentiment_extraction_train.csv", "text", "sentiment"),
    "airline": ("airline_tweets.csv", "text", "airline_sentiment"),
    "airline_reason": ("airline_tweets.csv", "text", "negativereason"),
    "emotion": ("text_emotion.csv", "content", "sentiment"),
    "bbc": ("bbc_news_train.csv", "Text", "Category"),
}


@dataclass
class Split:
    train_texts: list[str]
    train_labels: list[str]
    test_texts: list[str]
    test_labels: list[str]


def load(name: str) -> tuple[list[str], list[str]]:
    """Texts and labels; rows with an empty label are dropped (airline's negativereason)."""
    file, text, target = DATASETS[name]
    frame = pd.read_csv(DATA / file, dtype=str, keep_default_na=False)
    frame = frame[frame[target] != ""]
    return frame[text].tolist(), frame[target].tolist()


def split(texts: list[str], labels: list[str], *, seed: int = 0, test: float = 0.2) -> Split:
    """A stratified split; a class with one row stays in training (it cannot be scored)."""
    rng = np.random.default_rng(seed)
    y = np.asarray(labels, dtype=object)
    held = np.zeros(len(y), dtype=bool)
    for c in sorted(set(labels)):
        rows = rng.permutation(np.flatnonzero(y == c))
        if len(rows) >= 2:
            held[rows[: max(1, round(test * len(rows)))]] = True
    tr, te = np.flatnonzero(~held), np.flatnonzero(held)
    return Split(
        [texts[i] for i in tr],
        [labels[i] for i in tr],
        [texts[i] for i in te],
        [labels[i] for i in te],
    )


def subsample(s: Split, n: int, *, seed: int = 0) -> Split:
    """``n`` training rows drawn stratified (at least one per class while it can), same test."""
    if n >= len(s.train_labels):
        return s
    rng = np.random.default_rng(seed)
    y = np.asarray(s.train_labels, dtype=object)
    classes = sorted(set(s.train_labels))
    first = [int(rng.choice(np.flatnonzero(y == c))) for c in classes][:n]
    rest = rng.permutation(np.setdiff1d(np.arange(len(y)), first))
    # the rest in proportion: a random draw from the remaining rows
    chosen = np.sort(np.concatenate([first, rest[: n - len(first)]])).astype(int)
    return Split(
        [s.train_texts[i] for i in chosen],
        [s.train_labels[i] for i in chosen],
        s.test_texts,
        s.test_labels,
    )


class CachedEmbedder:
    """``embed(texts)`` through binnr's local embedder, with vectors cached on disk per text."""

    def __init__(self, cache: Path = CACHE, home: Path = HOME) -> None:
        from binnr.models.embeddings import get_embedder
        from binnr.settings import Settings

        # fp32: the figures in quality_results.md were measured with it; int8 (the default) is
        # measured against fp32 by bench/embeddings.py (probe drop < 0.1 point)
        self.model = get_embedder(Settings(home=home, embedding_precision="fp32"))
        self.cache = cache / self.model.name.replace("/", "_")
        self.cache.mkdir(parents=True, exist_ok=True)
        self.vectors: dict[str, np.ndarray] = {}
        for shard in sorted(self.cache.glob("*.npz")):
            with np.load(shard) as z:
                self.vectors.update(zip(z["keys"].tolist(), z["vectors"], strict=True))
        self.encode_seconds = 0.0  # time spent in the encoder (cache misses) since creation
        self.encoded = 0

    def key(self, text: str) -> str:
        return hashlib.sha1(f"{self.model.name}\x00{text}".encode()).hexdigest()

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        keys = [self.key(t) for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self.vectors))
        if missing:
            first = {k: t for k, t in zip(keys, texts, strict=True) if k in set(missing)}
            start = time.perf_counter()
            vectors = self.model.embed([first[k] for k in missing])
            self.encode_seconds += time.perf_counter() - start
            self.encoded += len(missing)
            self.vectors.update(zip(missing, vectors, strict=True))
            shard = self.cache / f"{time.time_ns()}.npz"
            np.savez(shard, keys=np.array(missing), vectors=vectors.astype(np.float32))
        out = np.stack([self.vectors[k] for k in keys]) if keys else np.zeros((0, 384))
        return out.astype(np.float32)


def main() -> None:
    from binnr.models.ensemble.chunking import chunked

    embed = CachedEmbedder()
    for name in DATASETS:
        texts, _ = load(name)
        start = time.perf_counter()
        chunked(embed)(texts)
        print(f"{name}: {len(texts)} texts, {time.perf_counter() - start:.0f}s", flush=True)


if __name__ == "__main__":
    main()
