"""Hash tables for the compiled n-gram kernels (:mod:`binnr.models.ngram_kernel`).

Both are open addressing with linear probing over power-of-two slot arrays:

- :func:`hash_table`: integer keys (word bigrams as ``token · n_tokens + token``) → column;
- :func:`token_table`: the vocabulary's word tokens by their code points → token index, so a
  token is found with one hash of its characters and (mostly) one probe. The char trie walked
  token by token went depth by depth over every token of the row: on long articles that was half
  the batch time (BBC news, 2,048 rows of 1,581 characters on average, one thread: 60 of 126 ms).
  A token's key is verified against its stored characters, never trusted by hash alone.

Tried and not kept: caching each whitespace-separated word's char n-gram columns per batch
(``char_wb`` n-grams never cross whitespace, so a word seen before could be copied instead of
walked). On the same articles it saved nothing measurable (158 vs 162 ms per 2,048 rows): the
breadth-first trie walk costs about what hashing, probing and copying a word does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

try:
    from numba import njit

    #: Whether the compiled path can be used at all.
    AVAILABLE = True
except ImportError:  # pragma: no cover - a dependency; the numpy path stands in without it
    AVAILABLE = False


def jit(fn: Callable[..., Any]) -> Callable[..., Any]:
    """numba's ``njit`` without the interpreter lock, cached on disk where it can be."""
    if not AVAILABLE:
        return fn
    try:
        return njit(nogil=True, cache=True)(fn)
    except RuntimeError:  # no writable cache folder (read-only install and home): per process
        return njit(nogil=True)(fn)


@jit
def _slot(key: int, bits: int) -> Any:
    """Fibonacci hashing: the top ``bits`` bits of ``key`` times 2⁶⁴/φ."""
    product = np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)
    return np.int64(product >> np.uint64(64 - bits))


@jit
def _bits(size: int) -> int:
    bits = 1
    while (1 << bits) < size:
        bits += 1
    return bits


@jit
def hash_table(keys: Any, cols: Any) -> tuple[Any, Any]:
    """An open-addressing table of ``keys`` (≥ 0, distinct) → ``cols``: one probe or two per
    lookup where a binary search took a dozen dependent reads (measured: a sixth of the
    batch time went to bigram searches). Slots are ``-1`` where empty; the size a power of 2."""
    bits = _bits(2 * len(keys))
    size = np.int64(1) << bits
    slots, values = np.full(size, -1, np.int64), np.zeros(size, np.int32)
    for i in range(len(keys)):
        at = _slot(keys[i], bits)
        while slots[at] != -1:
            at = (at + 1) & np.int64(size - 1)
        slots[at], values[at] = keys[i], cols[i]
    return slots, values


@jit
def lookup(slots: Any, values: Any, key: int) -> int:
    """The column of ``key`` in a :func:`hash_table`, or −1."""
    size = len(slots)
    at = _slot(key, _bits(size))
    while slots[at] != -1:
        if slots[at] == key:
            return int(values[at])
        at = (at + 1) & np.int64(size - 1)
    return -1


@jit
def fingerprint(seq: Any, a: int, b: int) -> int:
    """64-bit FNV-1a of ``seq[a:b]`` (non-negative: the top bit cleared), mixed with the length."""
    h = np.uint64(0xCBF29CE484222325) ^ np.uint64(b - a)
    for p in range(a, b):
        h = (h ^ np.uint64(seq[p])) * np.uint64(0x100000001B3)
    return int(h >> np.uint64(1))


@jit
def _same(x: Any, a: int, y: Any, c: int, n: int) -> bool:
    for k in range(n):  # noqa: SIM110 - a plain loop compiles to a tight one; all(...) may not
        if x[a + k] != y[c + k]:
            return False
    return True


@jit
def _token_slots(cps: Any, offsets: Any) -> tuple[Any, Any]:
    n = len(offsets) - 1
    bits = _bits(2 * max(n, 1))
    hashes, ids = np.zeros(1 << bits, np.int64), np.full(1 << bits, -1, np.int32)
    for i in range(n):
        h = fingerprint(cps, offsets[i], offsets[i + 1])
        at = _slot(h, bits)
        while ids[at] != -1:
            at = (at + 1) & ((1 << bits) - 1)
        hashes[at], ids[at] = h, i
    return hashes, ids


def token_table(tokens: Sequence[str]) -> tuple[Any, Any, Any, Any]:
    """(slot hashes, slot token indices or −1, every token's code points, offsets) of
    ``tokens`` for :func:`find_token`."""
    joined = "".join(tokens).encode("utf-32-le", errors="surrogatepass")
    cps = np.frombuffer(joined, dtype=np.uint32).copy()
    offsets = np.zeros(len(tokens) + 1, np.int64)
    np.cumsum([len(t) for t in tokens], out=offsets[1:])
    hashes, ids = _token_slots(cps, offsets)
    return hashes, ids, cps, offsets


@jit
def find_token(table: Any, seq: Any, a: int, b: int) -> int:
    """The index of the token ``seq[a:b]`` (code points) in a :func:`token_table`, or −1."""
    hashes, ids, cps, offsets = table
    h = fingerprint(seq, a, b)
    mask = len(ids) - 1
    at = _slot(h, _bits(len(ids)))
    while ids[at] != -1:
        i = ids[at]
        same_length = offsets[i + 1] - offsets[i] == b - a
        if hashes[at] == h and same_length and _same(cps, offsets[i], seq, a, b - a):
            return int(i)
        at = (at + 1) & mask
    return -1
