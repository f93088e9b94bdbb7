"""Synthetic corpora and a deterministic fake sentence encoder for the ensemble tests."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import pytest

DIM = 64
# small and quick: LightGBM on tiny data, few rounds, three folds
FAST = {"gbm_min_rows": 0, "gbm_rounds": 20, "folds": 3}


def fake_embed(texts: Sequence[str]) -> np.ndarray:
    """Hashed bag of words, L2-normalised: deterministic, and similar texts get similar rows."""
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    for i, text in enumerate(texts):
        for word in text.lower().split():
            h = int(hashlib.md5(word.encode()).hexdigest(), 16)
            out[i, h % DIM] += 1.0 if (h >> 8) % 2 else -1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-12)


def corpus(
    n_classes: int, per_class: int, *, seed: int = 0, noise_words: int = 4
) -> tuple[list[str], list[str]]:
    """Texts built from 3 class-specific words and shared filler words, shuffled."""
    rng = np.random.default_rng(seed)
    filler = [f"filler{i}" for i in range(40)]
    texts, labels = [], []
    for c in range(n_classes):
        own = [f"topic{c}word{j}" for j in range(6)]
        for _ in range(per_class):
            words = list(rng.choice(own, 3)) + list(rng.choice(filler, noise_words))
            texts.append(" ".join(rng.permutation(words)))
            labels.append(f"class{c:02d}")
    order = rng.permutation(len(texts))
    return [texts[i] for i in order], [labels[i] for i in order]


@pytest.fixture
def embed() -> object:
    return fake_embed
