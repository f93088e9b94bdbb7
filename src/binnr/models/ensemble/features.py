"""Text features shared by the linear and LightGBM base models.

Every word 1–2-gram and ``char_wb`` 2–5-gram seen in at least two training texts (sublinear tf
× idf), each block L2-normalised on its own and the two placed side by side: what
``TfidfVectorizer`` gives per block, so training uses scikit-learn's matrix directly. Predicting
uses :class:`~binnr.models.text_features.SelectedTfidf` (its numpy n-gram matcher, no Python
loop per n-gram) over the full vocabulary and re-applies the per-block normalisation, which
reproduces the training values (tested).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from binnr.models.text_features import SelectedTfidf, Vocabulary


def fit_features(texts: Sequence[str]) -> tuple[SelectedTfidf, sp.csr_matrix]:
    """The vectoriser for predicting and the training matrix of ``texts``."""
    vocabulary = Vocabulary(texts)
    found = {
        str(vec.analyzer): (vec.get_feature_names_out().tolist(), vec.idf_.tolist())
        for vec, _ in vocabulary.blocks
    }
    (words, word_idf), (chars, char_idf) = (found.get(k, ([], [])) for k in ("word", "char_wb"))
    vectorizer = SelectedTfidf(words=words, word_idf=word_idf, chars=chars, char_idf=char_idf)
    return vectorizer, vocabulary.matrix.astype(np.float32).tocsr()


def transform(vectorizer: SelectedTfidf, texts: Sequence[str]) -> sp.csr_matrix:
    """Rows with the same values as the training matrix (module docstring)."""
    x = vectorizer.transform(list(texts))[:, : vectorizer.n_ngrams].tocsr()
    rows = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
    block = (x.indices >= len(vectorizer.words)).astype(np.int64)  # 0 word, 1 char
    norms = np.zeros((x.shape[0], 2), dtype=np.float64)
    np.add.at(norms, (rows, block), x.data.astype(np.float64) ** 2)
    scale = np.sqrt(norms[rows, block])
    x.data = (x.data / np.maximum(scale, 1e-12)).astype(np.float32)
    return x
