"""Features from text: selected TF-IDF n-grams, fast to apply; TF-IDF + LR scores for stacking.

Fitting uses scikit-learn: ``TfidfVectorizer`` (word 1–2-grams and ``char_wb`` 2–5-grams,
sublinear tf, ``min_df=2``) finds the vocabularies and idf weights, and chi² keeps the top
``max_features`` n-grams of both blocks together.

A column's value is ``(1 + log tf) * idf`` without row normalisation, plus two length columns
(characters, words). Trees are blind to per-column monotone scaling, so this is what they see
of TF-IDF; the length columns carry what L2 normalisation would (measured: equal or better
macro-F1). Without normalisation a column depends on nothing else, so a trained model only
needs the n-grams its trees split on (``used``), typically a quarter of them.

Transforming does not use scikit-learn: its analysers build every n-gram of every row as a
Python string (about 7k rows/s for char 2–5-grams). Instead the n-grams are compiled into two
tries over a compact alphabet and matched with numpy on a whole batch at once: the batch
becomes one array of code points and each character step is one gather over the positions
still inside the trie. The counts equal ``CountVectorizer``'s for the same vocabulary (tested).
Everything is stored as JSON (no pickle).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.feature_selection import chi2
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize

from binnr.errors import ModelError

WORD_RANGE = (1, 2)
CHAR_RANGE = (2, 5)
FORMAT = "binnr.selected_tfidf/2"
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
        spans = self.lengths + 1
        spans[-1] += 1 + _PAD
        self.doc = np.repeat(np.arange(self.n_docs, dtype=np.int32), spans)
        space = _char_classes()[0][self.cps]
        starts = np.flatnonzero(space[:-1] & ~space[1:]) + 1
        self.word_counts = np.bincount(np.take(self.doc, starts), minlength=self.n_docs)


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
        if self._pairs is None:  # one lookup instead of two passes over the whole batch
            alphabet = np.arange(self.width, dtype=np.int32)
            first = self.step(np.zeros(self.width, dtype=np.int32), alphabet)
            self._pairs = self.step(np.repeat(first, self.width), np.tile(alphabet, self.width))
        return self._pairs[ids[:n] * np.int32(self.width) + ids[1 : n + 1]]


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
        self._char_cols = np.array(char_cols, dtype=np.int32)
        tokens = sorted({t for c in word_cols for t in self.words[c].split(" ")})
        self._token_trie = _Trie(tokens)
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

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Sparse float32 features (rows × ``n_features``); stateless, safe to call per batch."""
        if not texts:
            return sp.csr_matrix((0, self.n_features), dtype=np.float32)
        batch = _Batch(texts)
        w_rows, w_cols = self._match_words(batch)
        c_rows, c_index = _match_chars(self._char_trie, batch)
        rows = np.concatenate([w_rows, c_rows])
        cols = np.concatenate([w_cols, self._char_cols[c_index]])
        counts = sp.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)),
            shape=(batch.n_docs, self.n_ngrams),
        )
        counts.sum_duplicates()
        data = self._idf[counts.indices]
        repeated = counts.data > 1  # most n-grams occur once: take logs only where needed
        data[repeated] *= 1 + np.log(counts.data[repeated])
        ngrams = sp.csr_matrix((data, counts.indices, counts.indptr), shape=counts.shape)
        lengths = np.column_stack([batch.lengths, batch.word_counts]).astype(np.float32)
        return sp.hstack([ngrams, sp.csr_matrix(lengths)], format="csr", dtype=np.float32)

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


class LinearScores:
    """TF-IDF + LogisticRegression class probabilities: the stacked variant's text features."""

    def __init__(self, *, coef: Any, intercept: Any, classes: Any, n_labels: int) -> None:
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self.classes = np.asarray(classes, dtype=np.int64)
        self.n_labels = n_labels

    @classmethod
    def fit(cls, x: sp.csr_matrix, y: np.ndarray, *, n_labels: int, seed: int) -> LinearScores:
        present = np.unique(y)
        if len(present) < 2:  # a fold with one class: that class, with certainty
            return cls(
                coef=np.zeros((1, x.shape[1])), intercept=[0.0], classes=present, n_labels=n_labels
            )
        lr = LogisticRegression(max_iter=1000, random_state=seed).fit(x, y)
        return cls(coef=lr.coef_, intercept=lr.intercept_, classes=lr.classes_, n_labels=n_labels)

    def proba(self, x: sp.csr_matrix) -> np.ndarray:
        """(rows × n_labels) probabilities; what sklearn's ``predict_proba`` returns."""
        z = np.asarray(x @ self.coef.T) + self.intercept
        if len(self.classes) == 1:
            p = np.ones((x.shape[0], 1))
        elif len(self.classes) == 2:
            p1 = 1.0 / (1.0 + np.exp(-z[:, 0]))
            p = np.column_stack([1.0 - p1, p1])
        else:
            e = np.exp(z - z.max(axis=1, keepdims=True))
            p = e / e.sum(axis=1, keepdims=True)
        out = np.zeros((x.shape[0], self.n_labels))
        out[:, self.classes] = p
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "format": "binnr.linear_scores/1",
            "coef": self.coef.tolist(),
            "intercept": self.intercept.tolist(),
            "classes": self.classes.tolist(),
            "n_labels": self.n_labels,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LinearScores:
        return cls(
            coef=data["coef"],
            intercept=data["intercept"],
            classes=data["classes"],
            n_labels=int(data["n_labels"]),
        )


def out_of_fold(
    x: sp.csr_matrix, y: np.ndarray, *, n_labels: int, folds: int, seed: int
) -> np.ndarray:
    """Each row's LinearScores probabilities from a model fitted on the other folds."""
    rng = np.random.default_rng(seed)
    fold = np.zeros(len(y), dtype=np.int64)
    for c in np.unique(y):  # stratified: deal each class's shuffled rows round-robin
        idx = np.flatnonzero(y == c)
        fold[rng.permutation(idx)] = np.arange(len(idx)) % folds
    out = np.zeros((len(y), n_labels))
    for f in range(folds):
        test = fold == f
        if test.any() and (~test).any():
            scores = LinearScores.fit(x[~test], y[~test], n_labels=n_labels, seed=seed)
            out[test] = scores.proba(x[test])
    return out
