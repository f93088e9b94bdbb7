"""Text features shared by the linear and LightGBM base models.

Word 1–2-grams and ``char_wb`` 2–5-grams seen in at least two training texts, the
:data:`MAX_NGRAMS` most frequent of them (by document frequency: no label is looked at, so
out-of-fold predictions stay honest); sublinear tf × idf, each block L2-normalised on its own
and the two placed side by side. Training slices scikit-learn's matrix and re-normalises. Predicting
uses :class:`~binnr.models.text_features.SelectedTfidf` (its numpy n-gram matcher, no Python
loop per n-gram) over the full vocabulary and re-applies the per-block normalisation, which
reproduces the training values (tested).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from binnr.models.ngram_match import block_normalised
from binnr.models.text_features import SelectedTfidf, Vocabulary

# the most frequent n-grams kept: predicting matches every kept n-gram, so this bounds its cost
# (measured on tweets, one thread: 105k n-grams ~45k rows/CPU-s, 50k ~56k); the rarest ones,
# seen in 2-3 texts, are dropped first and carry the least
MAX_NGRAMS = 50_000


def fit_features(
    texts: Sequence[str], *, max_ngrams: int = MAX_NGRAMS
) -> tuple[SelectedTfidf, sp.csr_matrix]:
    """The vectoriser for predicting and the training matrix of ``texts``."""
    vocabulary = Vocabulary(texts)
    matrix = vocabulary.matrix.tocsc()
    df = np.diff(matrix.indptr)  # documents per n-gram
    keep = np.sort(np.argsort(-df, kind="stable")[:max_ngrams])
    found: dict[str, tuple[list[str], list[float]]] = {"word": ([], []), "char_wb": ([], [])}
    offset = 0
    for vec, block in vocabulary.blocks:
        local = keep[(keep >= offset) & (keep < offset + block.shape[1])] - offset
        names = vec.get_feature_names_out()[local]
        found[str(vec.analyzer)] = ([str(n) for n in names], vec.idf_[local].tolist())
        offset += block.shape[1]
    (words, word_idf), (chars, char_idf) = found["word"], found["char_wb"]
    vectorizer = SelectedTfidf(words=words, word_idf=word_idf, chars=chars, char_idf=char_idf)
    x = matrix[:, keep].tocsr().astype(np.float32)
    x.data = block_normalised(x.indptr, x.indices, x.data, len(words))
    return vectorizer, x


def transform(vectorizer: SelectedTfidf, texts: Sequence[str]) -> sp.csr_matrix:
    """Rows with the same values as the training matrix (module docstring)."""
    return vectorizer.transform(list(texts), lengths=False, block_norm=True)
