"""Fast n-gram matching for :class:`binnr.models.text_features.SelectedTfidf`'s transform.

Transforming does not use scikit-learn: its analysers build every n-gram of every row as a
Python string (about 7k rows/s for char 2–5-grams). Instead the n-grams are compiled into two
tries over a compact alphabet and matched with numpy on a whole batch at once: the batch
becomes one array of code points and each character step is one gather over the positions
still inside the trie. The counts equal ``CountVectorizer``'s for the same vocabulary (tested).

The batch and the tries are shared with the compiled path (:mod:`binnr.models.ngram_kernel`,
two to three times faster), which is used wherever numba is installed; the numpy matching here
is the reference it is tested against and the path without numba.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cached_property, lru_cache
from typing import Any

import numpy as np

_DENSE_LIMIT = 1 << 23  # transition-table entries before falling back to a sorted lookup
_CODES = 0x110000  # every Unicode code point
_PAD = 8  # spaces after a batch, so that trie steps never index past its end


@lru_cache(maxsize=1)
def _char_classes() -> tuple[np.ndarray, np.ndarray]:
    """Whitespace and word-character (``re``'s ``\\w``) flags for every code point."""
    every = "".join(map(chr, range(_CODES)))
    # one regex pass over all characters: exactly the classes sklearn's analysers use
    flags = [
        re.sub(pattern, lambda m: "\x00" * len(m.group()), every) for pattern in (r"\S+", r"\W+")
    ]
    space, word = (
        np.frombuffer(f.encode("utf-32-le", errors="surrogatepass"), dtype=np.uint32) != 0
        for f in flags
    )
    space[0] = False  # U+0000 itself is neither
    return space, word


class _Batch:
    """A batch of lowercased texts as one code-point array: ``' ' doc0 ' ' doc1 ... ' '``.

    ``doc[p]`` is the row of position ``p``: a separator belongs to the row after it, so an
    n-gram that starts with the padding space is counted for the right row. ``word_counts`` is
    ``len(text.split())`` per row.
    """

    def __init__(self, texts: Sequence[str]) -> None:
        lowered = [t.lower() for t in texts]
        self.n_docs = len(lowered)
        self.lengths = np.fromiter(map(len, lowered), dtype=np.int64, count=self.n_docs)
        joined = " " + " ".join(lowered) + " " * (1 + _PAD)
        raw = joined.encode("utf-32-le", errors="surrogatepass")
        self.cps = np.frombuffer(raw, dtype=np.uint32)

    @cached_property
    def doc(self) -> np.ndarray:
        spans = self.lengths + 1
        spans[-1] += 1 + _PAD
        return np.repeat(np.arange(self.n_docs, dtype=np.int32), spans)

    @cached_property
    def word_counts(self) -> np.ndarray:
        space = _char_classes()[0][self.cps]
        starts = np.flatnonzero(space[:-1] & ~space[1:]) + 1
        return np.bincount(np.take(self.doc, starts), minlength=self.n_docs)


class _Trie:
    """Strings compiled into a transition table over their alphabet (id 0: any other char).

    Nodes are numbered root first, then inner (with children) before leaf nodes, and the "no
    edge" node last, so "still inside the trie" is a comparison rather than a lookup.
    """

    def __init__(self, strings: Sequence[str]) -> None:
        alphabet = sorted({c for s in strings for c in s})
        self.width = len(alphabet) + 1
        self._ids = np.zeros(_CODES, dtype=np.int32)
        self._ids[[ord(c) for c in alphabet]] = np.arange(1, self.width, dtype=np.int32)
        if " " in alphabet:  # every whitespace character reads as a space (sklearn's char_wb)
            self._ids[_char_classes()[0]] = self._ids[ord(" ")]
        edges: dict[tuple[int, int], int] = {}
        ends: list[int] = []
        for s in strings:
            node = 0
            for c in s:
                node = edges.setdefault((node, int(self._ids[ord(c)])), len(edges) + 1)
            ends.append(node)
        n_real = len(edges) + 1
        parents = np.array([a for a, _ in edges], dtype=np.int64)
        inner = np.zeros(n_real, dtype=bool)
        inner[parents] = True
        # renumber: root (always inner) first, inner nodes, then leaves; dead = n_real
        order = np.argsort(~inner, kind="stable")
        new_id = np.empty(n_real + 1, dtype=np.int64)
        new_id[order] = np.arange(n_real)
        new_id[n_real] = n_real
        self.n_inner, self.dead = int(inner.sum()), n_real
        self.value = np.full(n_real + 1, -1, dtype=np.int32)
        self.value[new_id[ends]] = np.arange(len(strings), dtype=np.int32)
        keys = new_id[parents] * self.width + np.array([i for _, i in edges], dtype=np.int64)
        targets = new_id[np.array(list(edges.values()), dtype=np.int64)].astype(np.int32)
        self.depth = max(map(len, strings), default=0)
        self.shortest = min(map(len, strings), default=0)
        self._pairs: np.ndarray | None = None
        self._dense: np.ndarray | None = None
        if (n_real + 1) * self.width <= _DENSE_LIMIT:
            self._dense = np.full((n_real + 1) * self.width, self.dead, dtype=np.int32)
            self._dense[keys] = targets
        order = np.argsort(keys)
        self._keys, self._targets = keys[order], targets[order]

    def relabel(self, labels: np.ndarray) -> None:
        """Match string ``i`` as ``labels[i]`` (labels ≥ 0) instead of ``i``."""
        if not len(labels):
            return
        self.value = np.where(self.value >= 0, labels[np.maximum(self.value, 0)], -1).astype(
            np.int32
        )

    def arrays(self) -> tuple[Any, ...]:
        """The trie for :mod:`binnr.models.ngram_kernel`: (ids, dense table or empty, width,
        value, depth, dead, sorted keys, targets, n_inner, two-character table or empty)."""
        empty = np.zeros(0, np.int32)
        pairs = self._pair_table() if self.width * self.width <= _DENSE_LIMIT else empty
        return (
            self._ids,
            self._dense if self._dense is not None else empty,
            self.width,
            self.value,
            self.depth,
            self.dead,
            self._keys,
            self._targets,
            self.n_inner,
            pairs,
        )

    def ids(self, cps: np.ndarray) -> np.ndarray:
        """Alphabet ids of code points (0 for characters outside the alphabet)."""
        return np.take(self._ids, cps)

    def step(self, nodes: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Follow one character from each node (``dead`` where there is no edge)."""
        if self._dense is not None:  # fewer than 2**31 entries: int32 keys cannot overflow
            return self._dense[nodes * np.int32(self.width) + ids]
        keys = nodes.astype(np.int64) * self.width + ids
        if not len(self._keys):
            return np.full(len(keys), self.dead, dtype=np.int32)
        at = np.minimum(np.searchsorted(self._keys, keys), len(self._keys) - 1)
        return np.where(self._keys[at] == keys, self._targets[at], self.dead).astype(np.int32)

    def first_two(self, ids: np.ndarray, n: int) -> np.ndarray:
        """The node after two characters, from each of the first ``n`` positions."""
        if self.width * self.width > _DENSE_LIMIT:  # huge alphabet: two ordinary steps
            root = np.zeros(n, dtype=np.int32)
            return self.step(self.step(root, ids[:n]), ids[1 : n + 1])
        return self._pair_table()[ids[:n] * np.int32(self.width) + ids[1 : n + 1]]

    def _pair_table(self) -> np.ndarray:
        """The node after each pair of alphabet ids (one lookup instead of two steps)."""
        if self._pairs is None:
            alphabet = np.arange(self.width, dtype=np.int32)
            first = self.step(np.zeros(self.width, dtype=np.int32), alphabet)
            self._pairs = self.step(np.repeat(first, self.width), np.tile(alphabet, self.width))
        return self._pairs


def _match_chars(trie: _Trie, batch: _Batch) -> tuple[np.ndarray, np.ndarray]:
    """(row, n-gram index) for every selected char n-gram occurrence in the batch."""
    if trie.shortest < 2:  # char n-grams start at 2; an empty trie matches nothing
        return np.zeros(0, np.int32), np.zeros(0, np.int32)
    ids = trie.ids(batch.cps)
    node = trie.first_two(ids, len(ids) - _PAD)
    pos: np.ndarray | None = None  # None: every position (saves a pass over the batch)
    hit_pos, hit_val = [], []
    # np.compress / np.flatnonzero: several times faster than boolean indexing here
    for k in range(2, trie.depth + 1):
        if pos is not None:  # from the third character on
            node = trie.step(node, np.take(ids, pos + (k - 1)))
        value = np.take(trie.value, node)
        hit = value >= 0
        hit_pos.append(np.flatnonzero(hit) if pos is None else np.compress(hit, pos))
        hit_val.append(np.compress(hit, value))
        keep = node < trie.n_inner  # leaves and dead ends cannot grow into a longer match
        pos = np.flatnonzero(keep) if pos is None else np.compress(keep, pos)
        node = np.compress(keep, node)
    return np.take(batch.doc, np.concatenate(hit_pos)), np.concatenate(hit_val)


def _tokens(trie: _Trie, batch: _Batch) -> tuple[np.ndarray, np.ndarray]:
    """Token index (−1 if unknown) and row of every ``\\b\\w\\w+\\b`` token, in text order."""
    word = np.take(_char_classes()[1], batch.cps)  # starts and ends with a space
    edges = np.flatnonzero(word[1:] != word[:-1]) + 1
    starts, lengths = edges[0::2], edges[1::2] - edges[0::2]
    longer = lengths >= 2
    starts, lengths = np.compress(longer, starts), np.compress(longer, lengths)
    found = np.full(len(starts), -1, dtype=np.int32)
    alive = np.arange(len(starts))
    node = trie.step(np.zeros(len(starts), np.int32), trie.ids(np.take(batch.cps, starts)))
    for k in range(1, trie.depth + 1):
        done = np.take(lengths, alive) == k
        found[np.compress(done, alive)] = np.take(trie.value, np.compress(done, node))
        keep = ~done & (node < trie.n_inner)
        alive, node = np.compress(keep, alive), np.compress(keep, node)
        node = trie.step(node, trie.ids(np.take(batch.cps, np.take(starts, alive) + k)))
    return found, np.take(batch.doc, starts)


def key_dtype(n_docs: int, width: int) -> type[np.signedinteger[Any]]:
    """The dtype of ``row · width + column`` keys: int32 sorts twice as fast as int64, and a
    batch of a few thousand rows fits in it."""
    return np.int32 if (n_docs + 1) * width < 2**31 else np.int64


def count_pairs(
    rows: np.ndarray, cols: np.ndarray, width: int, n_docs: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR ``indptr``, ``indices`` and occurrence counts of (row, column) pairs.

    One sort of ``row · width + column`` keys: several times faster than building a COO
    matrix and summing its duplicates (scipy sorts each row's indices separately).
    """
    kind = key_dtype(n_docs, width)
    step = np.asarray(width, dtype=kind)
    keys = rows.astype(kind) * step + cols.astype(kind)
    keys.sort()
    if not len(keys):
        return np.zeros(n_docs + 1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32)
    new = np.empty(len(keys), dtype=bool)
    new[0], new[1:] = True, keys[1:] != keys[:-1]
    starts = np.flatnonzero(new)
    unique = keys[starts]
    ends = np.empty_like(starts)  # (np.diff with append= was the slowest step here)
    ends[:-1], ends[-1] = starts[1:], len(keys)
    counts = np.subtract(ends, starts, dtype=np.float32)
    # keys are sorted, so each row's entries lie between row·width and (row + 1)·width:
    # row pointers by binary search instead of a division and a bincount per entry
    firsts = np.arange(n_docs + 1, dtype=kind) * step
    indptr = np.searchsorted(unique, firsts).astype(np.int64)
    indices = unique - np.repeat(firsts[:-1], np.diff(indptr))
    return indptr, indices.astype(np.int32, copy=False), counts


def append_lengths(
    indptr: np.ndarray,
    indices: np.ndarray,
    data: np.ndarray,
    lengths: tuple[np.ndarray, np.ndarray],
    *,
    first: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The same CSR arrays with ``#chars`` and ``#words`` (``lengths``) as the last two columns
    of each row."""
    chars, words = lengths
    n = len(chars)
    new_indptr = indptr + 2 * np.arange(n + 1)
    size = len(indices) + 2 * n
    out_idx, out_data = np.empty(size, np.int32), np.empty(size, np.float32)
    rows = np.repeat(np.arange(n), np.diff(indptr))
    at = np.arange(len(indices)) + 2 * rows
    out_idx[at], out_data[at] = indices, data
    ends = new_indptr[1:]
    out_idx[ends - 2], out_data[ends - 2] = first, chars
    out_idx[ends - 1], out_data[ends - 1] = first + 1, words
    return new_indptr, out_idx, out_data


def block_normalised(
    indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, split: int
) -> np.ndarray:
    """CSR ``data`` with each row's columns below ``split`` and the rest L2-normalised apart.

    Each row's indices are sorted, so its first-block entries come first: the row is two
    contiguous segments, and segment sums are differences of one running sum (no scatter-add).
    """
    below = np.concatenate([[0], np.cumsum(indices < split)])
    middle = indptr[:-1] + (below[indptr[1:]] - below[indptr[:-1]])
    bounds = np.empty(2 * (len(indptr) - 1) + 1, dtype=np.int64)
    bounds[0:-1:2], bounds[1::2], bounds[-1] = indptr[:-1], middle, indptr[-1]
    squares = np.concatenate([[0.0], np.cumsum(np.square(data, dtype=np.float64))])
    norms = np.sqrt(np.maximum(squares[bounds[1:]] - squares[bounds[:-1]], 0.0))
    scale = (1.0 / np.maximum(norms, 1e-12)).astype(np.float32)
    return data * np.repeat(scale, np.diff(bounds))
