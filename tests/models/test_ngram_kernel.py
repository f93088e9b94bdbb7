"""The compiled n-gram kernels: the same features as the numpy matcher, on every kind of text."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from binnr.models import ngram_kernel
from binnr.models.ensemble.bases import select_columns
from binnr.models.ngram_match import _Batch, append_lengths
from binnr.models.text_features import SelectedTfidf, Vocabulary
from tests.models.test_gbm import TRICKY, make

pytestmark = pytest.mark.skipif(not ngram_kernel.AVAILABLE, reason="numba is not installed")


def _numpy_path(
    vec: SelectedTfidf, texts: list[str], *, lengths: bool, block_norm: bool
) -> sp.csr_matrix:
    batch = _Batch(texts)
    indptr, indices, data = vec._counted(batch, block_norm)
    width = vec.n_features if lengths else vec.n_ngrams
    if lengths:
        indptr, indices, data = append_lengths(
            indptr, indices, data, (batch.lengths, batch.word_counts), first=vec.n_ngrams
        )
    return sp.csr_matrix((data, indices, indptr), shape=(len(texts), width))


def _same(ours: sp.csr_matrix, reference: sp.csr_matrix) -> None:
    assert ours.shape == reference.shape
    np.testing.assert_array_equal(ours.indptr, reference.indptr)
    np.testing.assert_array_equal(ours.indices, reference.indices)  # sorted, like the reference
    np.testing.assert_allclose(ours.data, reference.data, rtol=1e-6)


def _corpus() -> list[str]:
    return make(300, seed=21)[0] + TRICKY * 3


@pytest.mark.parametrize(("lengths", "block_norm"), [(True, False), (False, True), (False, False)])
def test_kernel_equals_the_numpy_matcher(lengths: bool, block_norm: bool) -> None:
    corpus = _corpus()
    vec = Vocabulary(corpus).select(labels=np.arange(len(corpus)) % 3, max_features=3000)
    ours = vec.transform(corpus, lengths=lengths, block_norm=block_norm)
    _same(ours, _numpy_path(vec, corpus, lengths=lengths, block_norm=block_norm))
    if block_norm:  # each block of each row has unit length (or is empty)
        dense = ours.toarray()
        for block in (dense[:, : len(vec.words)], dense[:, len(vec.words) :]):
            norms = np.linalg.norm(block, axis=1)
            assert np.all((np.abs(norms - 1) < 1e-5) | (norms == 0))


def test_kernel_on_a_pruned_vectoriser_and_one_row_batches() -> None:
    corpus = _corpus()
    vec = Vocabulary(corpus).select(labels=np.arange(len(corpus)) % 2, max_features=800)
    pruned = vec.pruned([0, 5, len(vec.words) + 1, len(vec.words) + 40, vec.n_ngrams - 1])
    for texts in (corpus, [corpus[3]], [""], TRICKY):
        _same(pruned.transform(texts), _numpy_path(pruned, texts, lengths=True, block_norm=False))


def test_wide_alphabets_use_the_sorted_edges() -> None:
    # thousands of distinct characters: no dense transition or two-character table fits
    rng = np.random.default_rng(5)
    chars = [chr(c) for c in rng.choice(np.arange(0x4E00, 0x9FFF), size=6000, replace=False)]
    corpus = [
        "".join(rng.choice(chars, size=6)) + " " + "".join(rng.choice(chars, size=3))
        for _ in range(12000)
    ]
    vec = Vocabulary(corpus).select(labels=np.arange(len(corpus)) % 2, max_features=50000)
    arrays = vec._char_trie.arrays()
    assert len(arrays[1]) == 0 and len(arrays[9]) == 0  # neither table: binary searches
    _same(vec.transform(corpus), _numpy_path(vec, corpus, lengths=True, block_norm=False))


def test_kept_columns_equal_scipy_column_slicing() -> None:
    corpus = _corpus()
    vec = Vocabulary(corpus).select(labels=np.arange(len(corpus)) % 3, max_features=2000)
    x = vec.transform(corpus, lengths=False, block_norm=True)
    columns = np.sort(np.random.default_rng(1).choice(x.shape[1], size=300, replace=False))
    _same(select_columns(x, columns), x[:, columns].tocsr())


def test_kernel_with_only_words_only_chars_or_nothing_selected() -> None:
    corpus = _corpus()
    vec = Vocabulary(corpus).select(labels=np.arange(len(corpus)) % 3, max_features=1500)
    n_words = len(vec.words)
    for used in ([0, 1, 2], [n_words, n_words + 3], [], list(range(n_words))):
        pruned = vec.pruned(used)
        for lengths, block_norm in ((True, False), (False, True)):
            ours = pruned.transform(corpus, lengths=lengths, block_norm=block_norm)
            _same(ours, _numpy_path(pruned, corpus, lengths=lengths, block_norm=block_norm))
