"""Features from text: selected TF-IDF n-grams, fast to apply.

Fitting uses scikit-learn: ``TfidfVectorizer`` (word 1–2-grams and ``char_wb`` 2–5-grams,
sublinear tf, ``min_df=2``) finds the vocabularies and idf weights, and chi² keeps the top
``max_features`` n-grams of both blocks together.

A column's value is ``(1 + log tf) * idf`` without row normalisation, plus two length columns
(characters, words). Trees are blind to per-column monotone scaling, so this is what they see
of TF-IDF; the length columns carry what L2 normalisation would (measured: equal or better
macro-F1). Without normalisation a column depends on nothing else, so a trained model only
needs the n-grams its trees split on (``used``), typically a quarter of them.

Transforming does not use scikit-learn: the selected n-grams are matched with tries over a whole
batch, in compiled code (:mod:`binnr.models.ngram_kernel`) or, without numba, with numpy
(:mod:`binnr.models.ngram_match`). TF-IDF + LR scores for stacking are in
:mod:`binnr.models.stacking`. Everything is stored as JSON (no pickle).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.feature_selection import chi2
from sklearn.preprocessing import normalize

from binnr.errors import ModelError
from binnr.models import ngram_kernel, ngram_tables
from binnr.models.ngram_match import (
    _Batch,
    _char_classes,
    _match_chars,
    _tokens,
    _Trie,
    append_lengths,
    block_normalised,
    count_pairs,
)

WORD_RANGE = (1, 2)
CHAR_RANGE = (2, 5)
FORMAT = "binnr.selected_tfidf/2"


class SelectedTfidf:
    """Selected word and char_wb n-grams plus two length columns; see the module docstring.

    Columns: the word n-grams, the char n-grams, then ``#chars`` and ``#words`` (length of the
    lowercased text and its whitespace-separated word count). ``used`` (column indices) limits
    matching to the n-grams a model actually splits on; other columns are simply left empty.
    """

    def __init__(
        self,
        *,
        words: Sequence[str],
        chars: Sequence[str],
        word_idf: Any,
        char_idf: Any,
        used: Sequence[int] | None = None,
    ) -> None:
        self.words, self.chars = list(words), list(chars)
        self.word_idf = np.asarray(word_idf, dtype=np.float64)
        self.char_idf = np.asarray(char_idf, dtype=np.float64)
        self.used = None if used is None else sorted(int(c) for c in used)
        self._idf = np.concatenate([self.word_idf, self.char_idf]).astype(np.float32)
        n_words, active = len(self.words), set(range(self.n_ngrams) if used is None else used)
        word_cols = [c for c in range(n_words) if c in active]
        char_cols = [c for c in range(n_words, self.n_ngrams) if c in active]
        self._char_trie = _Trie([self.chars[c - n_words] for c in char_cols])
        # a match yields its column directly (one gather less per occurrence)
        self._char_trie.relabel(np.array(char_cols, dtype=np.int32))
        tokens = sorted({t for c in word_cols for t in self.words[c].split(" ")})
        self._tokens = tokens
        self._tokens_hashed: tuple[np.ndarray, ...] | None = None
        index = {t: i for i, t in enumerate(tokens)}
        self._n_tokens = len(tokens)
        self._unigram = np.full(len(tokens) + 1, -1, dtype=np.int32)
        pairs: list[tuple[int, int]] = []
        for col in word_cols:
            parts = [index[t] for t in self.words[col].split(" ")]
            if len(parts) == 1:
                self._unigram[parts[0]] = col
            else:
                pairs.append((parts[0] * len(tokens) + parts[1], col))
        pairs.sort()
        self._bigram_keys = np.array([p[0] for p in pairs], dtype=np.int64)
        self._bigram_cols = np.array([p[1] for p in pairs], dtype=np.int32)
        self._bigrams_hashed: tuple[np.ndarray, np.ndarray] | None = None  # for the kernel

    @property
    def n_ngrams(self) -> int:
        return len(self.words) + len(self.chars)

    @property
    def n_features(self) -> int:
        return self.n_ngrams + 2

    def names(self) -> list[tuple[str, str]]:
        """(kind, name) of every column: ('word', ...), ('char', ...), ('length', ...)."""
        return (
            [("word", w) for w in self.words]
            + [("char", c) for c in self.chars]
            + [("length", "#chars"), ("length", "#words")]
        )

    def pruned(self, used: Sequence[int]) -> SelectedTfidf:
        """The same columns, matching only the n-grams in ``used`` (faster to apply)."""
        return SelectedTfidf(
            words=self.words,
            chars=self.chars,
            word_idf=self.word_idf,
            char_idf=self.char_idf,
            used=[c for c in used if c < self.n_ngrams],
        )

    def transform(
        self, texts: Sequence[str], *, lengths: bool = True, block_norm: bool = False
    ) -> sp.csr_matrix:
        """Sparse float32 features (rows × ``n_features``); stateless, safe to call per batch.

        ``lengths=False`` leaves out the two length columns (rows × ``n_ngrams``);
        ``block_norm`` L2-normalises each row's word and char columns separately.
        """
        width = self.n_features if lengths else self.n_ngrams
        if not texts:
            return sp.csr_matrix((0, width), dtype=np.float32)
        batch = _Batch(texts)
        if ngram_kernel.AVAILABLE:
            indptr, indices, data, words = ngram_kernel.batch_features(
                batch.cps,
                batch.lengths,
                _char_classes(),
                self._char_trie.arrays(),
                self._token_table(),
                (self._unigram, *self._bigram_table(), self._n_tokens),
                self._idf,
                len(self.words),
                block_norm,
            )
        else:
            indptr, indices, data = self._counted(batch, block_norm)
            words = batch.word_counts if lengths else None
        if lengths:
            indptr, indices, data = append_lengths(
                indptr, indices, data, (batch.lengths, words), first=self.n_ngrams
            )
        x = sp.csr_matrix((data, indices, indptr), shape=(batch.n_docs, width))
        x.has_sorted_indices = True  # built sorted and without duplicates: skip the checks
        x.has_canonical_format = True
        return x

    def _bigram_table(self) -> tuple[np.ndarray, np.ndarray]:
        if self._bigrams_hashed is None:
            self._bigrams_hashed = ngram_tables.hash_table(self._bigram_keys, self._bigram_cols)
        return self._bigrams_hashed

    @cached_property
    def _token_trie(self) -> _Trie:
        """The tokens' trie, for the numpy path only (the kernel hashes tokens instead)."""
        return _Trie(self._tokens)

    def _token_table(self) -> tuple[np.ndarray, ...]:
        if self._tokens_hashed is None:
            self._tokens_hashed = ngram_tables.token_table(self._tokens)
        return self._tokens_hashed

    def _counted(
        self, batch: _Batch, block_norm: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The numpy path of :meth:`transform` (without numba): CSR arrays of the n-grams."""
        w_rows, w_cols = self._match_words(batch)
        c_rows, c_cols = _match_chars(self._char_trie, batch)
        rows = np.concatenate([w_rows, c_rows])
        cols = np.concatenate([w_cols, c_cols])
        indptr, indices, counts = count_pairs(rows, cols, self.n_ngrams + 2, batch.n_docs)
        data = self._idf[indices]
        repeated = counts > 1  # most n-grams occur once: take logs only where needed
        data[repeated] *= 1 + np.log(counts[repeated])
        if block_norm:
            data = block_normalised(indptr, indices, data, len(self.words))
        return indptr, indices, data

    def normalised(self, x: sp.csr_matrix) -> sp.csr_matrix:
        """The n-gram columns of a ``transform`` output, L2-normalised per row (for LR)."""
        return normalize(x[:, : self.n_ngrams])

    def _match_words(self, batch: _Batch) -> tuple[np.ndarray, np.ndarray]:
        if not self._n_tokens:
            return np.zeros(0, np.int32), np.zeros(0, np.int32)
        tok, doc = _tokens(self._token_trie, batch)
        known = tok >= 0
        uni = self._unigram[np.where(known, tok, self._n_tokens)]
        rows, cols = [doc[uni >= 0]], [uni[uni >= 0]]
        if len(self._bigram_keys) and len(tok) > 1:
            ok = known[:-1] & known[1:] & (doc[:-1] == doc[1:])
            keys = tok[:-1][ok].astype(np.int64) * self._n_tokens + tok[1:][ok]
            at = np.minimum(np.searchsorted(self._bigram_keys, keys), len(self._bigram_keys) - 1)
            hit = self._bigram_keys[at] == keys
            rows.append(doc[:-1][ok][hit])
            cols.append(self._bigram_cols[at[hit]])
        return np.concatenate(rows), np.concatenate(cols)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "word_ngram_range": list(WORD_RANGE),
            "char_ngram_range": list(CHAR_RANGE),
            "value": "(1 + log tf) * idf, lowercased, no normalisation; then #chars, #words",
            "words": self.words,
            "chars": self.chars,
            "word_idf": self.word_idf.tolist(),
            "char_idf": self.char_idf.tolist(),
            "used": self.used,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SelectedTfidf:
        if data.get("format") != FORMAT:
            raise ModelError(
                f"Unknown vectoriser format {data.get('format')!r}.",
                hint="Retrain the model with this version of binnr.",
            )
        return cls(
            words=data["words"],
            chars=data["chars"],
            word_idf=data["word_idf"],
            char_idf=data["char_idf"],
            used=data.get("used"),
        )


class Vocabulary:
    """The full word and char_wb TF-IDF vocabularies of a training set (before selection)."""

    def __init__(self, texts: Sequence[str]) -> None:
        blocks = [_fit_block(texts, analyzer="word"), _fit_block(texts, analyzer="char_wb")]
        self.blocks = [b for b in blocks if b is not None]
        if not self.blocks:
            raise ModelError(
                "The texts contain no words or characters to learn from.",
                hint="Check that the text column is filled.",
            )
        self.matrix = sp.hstack([m for _, m in self.blocks], format="csr")

    @property
    def size(self) -> int:
        return int(self.matrix.shape[1])

    def select(self, *, labels: Sequence[int], max_features: int) -> SelectedTfidf:
        """Keep the ``max_features`` n-grams with the highest chi² against ``labels``."""
        scores = np.nan_to_num(chi2(self.matrix, np.asarray(labels))[0], nan=0.0)
        # best score first, ties broken by column (deterministic), then back to column order
        chosen = np.sort(np.lexsort((np.arange(len(scores)), -scores))[:max_features])
        out: dict[str, tuple[list[str], list[float]]] = {"word": ([], []), "char_wb": ([], [])}
        offset = 0
        for vec, m in self.blocks:
            local = chosen[(chosen >= offset) & (chosen < offset + m.shape[1])] - offset
            names = vec.get_feature_names_out()
            out[str(vec.analyzer)] = ([str(n) for n in names[local]], vec.idf_[local].tolist())
            offset += m.shape[1]
        (words, word_idf), (chars, char_idf) = out["word"], out["char_wb"]
        return SelectedTfidf(words=words, word_idf=word_idf, chars=chars, char_idf=char_idf)


def _fit_block(texts: Sequence[str], *, analyzer: str) -> tuple[TfidfVectorizer, Any] | None:
    ngrams = WORD_RANGE if analyzer == "word" else CHAR_RANGE
    # min_df=2 drops one-off n-grams; tiny training sets fall back to keeping them
    for min_df in (2, 1):
        vec = TfidfVectorizer(
            analyzer=analyzer,
            ngram_range=ngrams,
            sublinear_tf=True,
            min_df=min_df,
            dtype=np.float32,
        )
        try:
            return vec, vec.fit_transform(texts)
        except ValueError:  # "empty vocabulary" / "no terms remain"
            continue
    return None
