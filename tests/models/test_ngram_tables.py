"""The kernels' hash tables: every key found, nothing else, exact on any characters."""

from __future__ import annotations

import numpy as np
import pytest

from binnr.models import ngram_tables

pytestmark = pytest.mark.skipif(not ngram_tables.AVAILABLE, reason="numba is not installed")


def _cps(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", errors="surrogatepass"), dtype=np.uint32)


def test_hash_table_finds_every_key_and_nothing_else() -> None:
    rng = np.random.default_rng(0)
    keys = np.unique(rng.integers(0, 10**12, size=5000)).astype(np.int64)
    cols = np.arange(len(keys), dtype=np.int32)
    slots, values = ngram_tables.hash_table(keys, cols)
    assert len(slots) & (len(slots) - 1) == 0 and len(slots) >= 2 * len(keys)
    for key, col in zip(keys[:500], cols[:500], strict=True):
        assert ngram_tables.lookup(slots, values, key) == col
    absent = np.setdiff1d(rng.integers(0, 10**12, size=500), keys)
    assert all(ngram_tables.lookup(slots, values, k) == -1 for k in absent)
    empty = ngram_tables.hash_table(keys[:0], cols[:0])
    assert ngram_tables.lookup(*empty, 7) == -1


def test_token_table_finds_each_token_inside_a_longer_text() -> None:
    tokens = ["ab", "abc", "über", "naïve", "日本語", "𝔘𝔫𝔦", "x" * 300, "de"]
    table = ngram_tables.token_table(tokens)
    for i, token in enumerate(tokens):
        text = _cps(f"  {token} ")  # the token at an offset, between other characters
        assert ngram_tables.find_token(table, text, 2, 2 + len(token)) == i, token


def test_token_table_rejects_prefixes_extensions_and_near_misses() -> None:
    tokens = ["ab", "abc", "über"]
    table = ngram_tables.token_table(tokens)
    for other in ("a", "abcd", "ba", "uber", "übe", "überr", "AB", ""):
        assert ngram_tables.find_token(table, _cps(other), 0, len(other)) == -1, other


def test_an_empty_token_table_finds_nothing() -> None:
    table = ngram_tables.token_table([])
    assert ngram_tables.find_token(table, _cps("word"), 0, 4) == -1


def test_token_table_with_many_tokens_is_exact() -> None:
    rng = np.random.default_rng(3)
    letters = list("abcdefghij")
    words = sorted({"".join(rng.choice(letters, size=rng.integers(2, 9))) for _ in range(20_000)})
    table = ngram_tables.token_table(words)
    for i in rng.integers(0, len(words), size=2000):
        w = words[i]
        assert ngram_tables.find_token(table, _cps(w), 0, len(w)) == i
    known = set(words)
    for _ in range(2000):
        w = "".join(rng.choice(letters, size=rng.integers(2, 9)))
        expected = words.index(w) if w in known else -1
        assert ngram_tables.find_token(table, _cps(w), 0, len(w)) == expected
