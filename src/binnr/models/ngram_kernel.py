"""The n-gram features of a batch as compiled code (numba), where numba is there.

:mod:`binnr.models.ngram_match` matches a whole batch with numpy: about ten array passes per
n-gram occurrence (trie steps, hits, counts, idf, per-block norms) at some 20 ns each, in short
steps that hold the interpreter lock (two threads gain 1.6×). Here, with the lock released:

1. :func:`_occurrences` walks each row's char_wb n-grams through the char trie, finds each word
   token by its hash (:func:`.ngram_tables.find_token`), and writes one ``row · width + column``
   key per occurrence (bigrams through a hash table). Char walks go breadth-first over the row
   (step *k* for every live position, then *k + 1*): the table reads of a step are independent
   and overlap in the memory system; walking one n-gram at a time waits for each read in turn
   (measured a third slower than numpy).
2. numpy sorts the keys (its vectorised sort; a compiled per-row sort was most of the time).
3. :func:`_csr` turns runs of equal keys into CSR entries, ``(1 + log count) · idf``, and
   block-normalises each row where asked.

Measured on airline tweets (4,096-row batches, one thread): 57k → 128k rows/s. The semantics
are the numpy matcher's, which equal scikit-learn's ``CountVectorizer``; tests hold both to it.
Compiled once per install (``cache=True``: beside this file, or in ``NUMBA_CACHE_DIR``); where
numba cannot be imported, callers use the numpy path.

Long texts cost in proportion to their characters (BBC articles of 1,581 characters: ~100 µs a
row, ~15M characters per CPU-second, as for tweets). Tried for them and not kept: counting each
row into a dense array and a bitmap of its columns instead of sorting keys (20% faster on
articles, 30% slower on tweets: the bitmap is scanned whatever the row's length), and a per-batch
cache of each word's char n-gram columns (:mod:`.ngram_tables`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from binnr.models.ngram_match import key_dtype
from binnr.models.ngram_tables import AVAILABLE, find_token, lookup
from binnr.models.ngram_tables import jit as _jit

__all__ = ["AVAILABLE", "batch_features", "kept_columns"]


@_jit
def _step(trie: Any, node: int, i: int) -> int:
    """The node after alphabet id ``i`` from ``node`` (the trie's ``dead`` node: no edge)."""
    table, width, dead, keys, targets = trie[1], trie[2], trie[5], trie[6], trie[7]
    if len(table) > 0:
        return int(table[node * width + i])
    key = np.int64(node) * width + i  # too wide for a dense table: sorted edges
    at = np.searchsorted(keys, key)
    return int(targets[at]) if at < len(keys) and keys[at] == key else dead


@_jit
def _chars(cid: Any, a: int, b: int, c: Any, scratch: Any, buf: Any, m: int) -> int:
    """Append the columns of the selected char n-grams starting at ``a`` … ``b - 1``."""
    value, depth, dead, n_inner, pairs, width = c[3], c[4], c[5], c[8], c[9], c[2]
    where, nodes = scratch
    alive = 0
    for p in range(a, b):  # the first two characters: one lookup
        if len(pairs) > 0:
            node = int(pairs[cid[p] * width + cid[p + 1]])
        else:
            node = _step(c, _step(c, 0, cid[p]), cid[p + 1])
        if node == dead:
            continue
        if value[node] >= 0:
            buf[m] = value[node]
            m += 1
        if node < n_inner:  # leaves cannot grow into a longer match
            where[alive], nodes[alive] = p, node
            alive += 1
    for j in range(2, depth):
        kept = 0
        for i in range(alive):
            node = _step(c, nodes[i], cid[where[i] + j])
            if node != dead and value[node] >= 0:
                buf[m] = value[node]
                m += 1
            if node < n_inner:
                where[kept], nodes[kept] = where[i], node
                kept += 1
        alive = kept
    return m


@_jit
def _tokens(cps: Any, a: int, b: int, word: Any, table: Any, found: Any) -> int:
    """The token index (−1: not selected) of each ``\\b\\w\\w+\\b`` token of ``cps[a:b]``, in
    order, into ``found``; returns how many. Each token is hashed and looked up once: walking
    a trie depth by depth over every token of a row took half the batch time on long texts."""
    n, q = 0, a
    while q < b:
        if not word[cps[q]]:
            q += 1
            continue
        end = q
        while end < b and word[cps[end]]:
            end += 1
        if end - q >= 2:  # two or more word characters
            found[n] = find_token(table, cps, q, end)
            n += 1
        q = end
    return n


@_jit
def _words(found: Any, n: int, w: Any, buf: Any, m: int) -> int:
    """Append the columns of the selected word 1- and 2-grams of ``n`` tokens in text order."""
    unigram, slots, values, n_tokens = w
    for i in range(n):
        tok = found[i]
        if tok >= 0 and unigram[tok] >= 0:
            buf[m] = unigram[tok]
            m += 1
        if tok >= 0 and i > 0 and found[i - 1] >= 0:
            col = lookup(slots, values, np.int64(found[i - 1]) * n_tokens + tok)
            if col >= 0:
                buf[m] = col
                m += 1
    return m


@_jit
def _csr(keys: Any, n: int, width: int, idf: Any, split: int, norm: bool) -> tuple[Any, Any, Any]:
    """CSR arrays from sorted ``row · width + column`` keys, one per occurrence: distinct
    columns with ``(1 + log count) · idf``, L2-normalised per block (columns below ``split``,
    the rest) if ``norm``."""
    indptr = np.zeros(n + 1, np.int64)
    indices, data = np.empty(len(keys), np.int32), np.empty(len(keys), np.float32)
    at, i, row, start, below, above = 0, 0, 0, 0, 0.0, 0.0
    first = 0  # row · width: keys are compared with it, not divided (measured ~10% faster)
    while i <= len(keys):
        while row < n and (i == len(keys) or keys[i] >= first + width):  # close rows before it
            if norm:
                _scale(data, indices, start, at, split, below, above)
            row, first = row + 1, first + width
            indptr[row], start, below, above = at, at, 0.0, 0.0
        if i == len(keys):
            break
        j = i + 1
        while j < len(keys) and keys[j] == keys[i]:
            j += 1
        col = keys[i] - first
        value = idf[col]
        if j - i > 1:  # most n-grams occur once: a log only where one repeats
            value *= np.float32(1.0) + np.log(np.float32(j - i))
        indices[at], data[at] = col, value
        if col < split:
            below += np.float64(value) * np.float64(value)
        else:
            above += np.float64(value) * np.float64(value)
        at += 1
        i = j
    return indptr, indices[:at], data[:at]


@_jit
def _scale(data: Any, indices: Any, a: int, b: int, split: int, below: float, above: float) -> None:
    scale_below = np.float32(1.0 / max(np.sqrt(below), 1e-12))
    scale_above = np.float32(1.0 / max(np.sqrt(above), 1e-12))
    for k in range(a, b):
        data[k] *= scale_below if indices[k] < split else scale_above


@_jit
def _occurrences(
    cps: Any, lengths: Any, classes: Any, c: Any, t: Any, w: Any, width: int, keys: Any
) -> tuple[int, Any]:
    """Each n-gram occurrence's ``row · width + column`` into ``keys`` (how many) and each
    row's ``str.split()`` word count."""
    space, word = classes
    n, depth = len(lengths), c[4]
    cid = np.empty(len(cps), np.int32)
    for p in range(len(cps)):  # alphabet ids once, in order (the id table is large)
        cid[p] = c[0][cps[p]]
    row = 2
    for d in range(n):
        row = max(row, lengths[d] + 2)
    buf = np.empty(row * (depth + 2), np.int32)
    chars = (np.empty(row, np.int64), np.empty(row, np.int32))
    found = np.empty(row, np.int64)
    words, total, start = np.zeros(n, np.int64), 0, 0
    for d in range(n):
        end = start + lengths[d] + 1  # the next row's separator
        m = _chars(cid, start, end, c, chars, buf, 0) if depth >= 2 else 0
        m = _words(found, _tokens(cps, start + 1, end, word, t, found), w, buf, m)
        for k in range(m):
            keys[total + k] = d * width + buf[k]
        total += m
        for p in range(start + 1, end):
            if not space[cps[p]] and space[cps[p - 1]]:
                words[d] += 1
        start = end
    return total, words


@_jit
def kept_columns(indptr: Any, indices: Any, data: Any, position: Any) -> tuple[Any, Any, Any]:
    """CSR arrays of the columns whose ``position`` (new index) is ≥ 0, renumbered: one pass
    where numpy took five (a tenth of a LightGBM prediction)."""
    n = len(indptr) - 1
    new_indptr = np.zeros(n + 1, np.int64)
    new_indices, new_data = np.empty(len(indices), np.int32), np.empty(len(indices), data.dtype)
    at = 0
    for row in range(n):
        for k in range(indptr[row], indptr[row + 1]):
            column = position[indices[k]]
            if column >= 0:
                new_indices[at], new_data[at] = column, data[k]
                at += 1
        new_indptr[row + 1] = at
    return new_indptr, new_indices[:at], new_data[:at]


def batch_features(
    cps: Any, lengths: Any, classes: Any, c: Any, t: Any, w: Any, idf: Any, split: int, norm: bool
) -> tuple[Any, Any, Any, Any]:
    """CSR ``indptr``, ``indices``, ``data`` of a batch, and each row's ``str.split()`` count.

    ``cps``: ``' ' doc0 ' ' doc1 … ' '`` and padding (:class:`.ngram_match._Batch`; the space
    before a row belongs to it). ``classes``: (whitespace, word character) flags per code point.
    ``c``: the char trie (:meth:`.ngram_match._Trie.arrays`); ``t``: the word tokens'
    :func:`.ngram_tables.token_table`; ``w``: (unigram column per token, the bigrams'
    :func:`.ngram_tables.hash_table`, token count). Between the two compiled
    passes, numpy sorts the occurrence keys (its vectorised sort: several times a compiled
    per-row sort).
    """
    n, width = len(lengths), len(idf)
    keys = np.empty((len(cps) + 2 * n) * (max(c[4], 1) + 2), dtype=key_dtype(n, width))
    total, words = _occurrences(cps, lengths, classes, c, t, w, width, keys)
    keys = np.sort(keys[:total])
    indptr, indices, data = _csr(keys, n, width, idf, split, norm)
    return indptr, indices, data, words
