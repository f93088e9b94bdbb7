"""Long texts for a fixed-window sentence encoder: split into word windows, embed, mean-pool.

MiniLM-style encoders read at most 256 word-piece tokens and silently drop the rest, so a
3,000-word article would be judged on its first paragraph. :func:`chunked` wraps any
``embed(texts) -> array`` so that a text longer than ``window`` whitespace words (160 words is
about 210 word pieces of English, inside the window with room for punctuation) is cut into
consecutive windows; at most ``max_chunks`` of them, evenly spaced from the first to the last
(head, middle and tail all count), are embedded in one batch with every other text's chunks.
Each text's chunk vectors are averaged and the mean is L2-normalised again. A text that fits
is sent unchanged, so its vector (and any cache keyed by text) is the encoder's own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from binnr.models.texts import plain_texts

Embed = Callable[[Sequence[str]], np.ndarray]
WINDOW = 160  # words per chunk
MAX_CHUNKS = 8  # caps the cost of a very long text at 8 encoder calls


def split_text(text: str, *, window: int = WINDOW, max_chunks: int = MAX_CHUNKS) -> list[str]:
    """The chunks of one text (the text itself when it fits in one window)."""
    words = text.split()
    if len(words) <= window:
        return [text]
    starts = list(range(0, len(words), window))
    if len(starts) > max_chunks:  # evenly spaced, always keeping the first and the last
        picks = np.linspace(0, len(starts) - 1, max_chunks).round().astype(int)
        starts = [starts[i] for i in sorted(set(picks.tolist()))]
    return [" ".join(words[s : s + window]) for s in starts]


def chunked(embed: Embed, *, window: int = WINDOW, max_chunks: int = MAX_CHUNKS) -> Embed:
    """``embed`` that mean-pools the windows of long texts (module docstring)."""

    def run(texts: Sequence[str]) -> np.ndarray:
        pieces = [split_text(t, window=window, max_chunks=max_chunks) for t in texts]
        flat = [c for p in pieces for c in p]
        vectors = np.asarray(embed(flat), dtype=np.float32) if flat else np.zeros((0, 1))
        owner = np.repeat(np.arange(len(texts)), [len(p) for p in pieces])
        pooled = np.zeros((len(texts), vectors.shape[1]), dtype=np.float64)
        np.add.at(pooled, owner, vectors)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)

    return run


class Precomputed:
    """An ``embed`` that answers from vectors computed earlier (picklable, unlike a closure):
    what a training in another process gets, its parent having embedded every chunk."""

    def __init__(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        self.index = {t: i for i, t in enumerate(texts)}
        self.vectors = np.asarray(vectors, dtype=np.float32)

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.vectors.shape[1]), dtype=np.float32)
        return self.vectors[[self.index[t] for t in texts]]


def precompute(
    embed: Embed,
    texts: Sequence[str | None],
    *,
    window: int = WINDOW,
    max_chunks: int = MAX_CHUNKS,
) -> Precomputed:
    """Every chunk :func:`chunked` (same ``window`` and ``max_chunks``) will ask for, the
    texts read as the training reads them (:func:`~binnr.models.texts.plain_texts`)."""
    texts = plain_texts(texts)
    pieces = list(
        dict.fromkeys(c for t in texts for c in split_text(t, window=window, max_chunks=max_chunks))
    )
    return Precomputed(pieces, embed(pieces) if pieces else np.zeros((0, 1), dtype=np.float32))
