"""The macro-F1 decision rule's prior offsets."""

from __future__ import annotations

import numpy as np

from binnr.models.ensemble.decision import decide, prior_offsets


def test_offsets_favour_rare_labels_in_proportion_to_alpha() -> None:
    y = np.array([0] * 80 + [1] * 15 + [2] * 5)
    none, half, full = (prior_offsets(y, 3, a) for a in (0.0, 0.5, 1.0))
    np.testing.assert_array_equal(none, np.zeros(3))
    assert full[2] > full[1] > full[0]
    np.testing.assert_allclose(half, full / 2)
    np.testing.assert_allclose(full, -np.log((np.bincount(y) + 1) / (len(y) + 3)))


def test_a_one_row_label_is_favoured_no_more_than_the_most_frequent_label() -> None:
    y = np.array([0] * 80 + [1] * 15 + [2])
    offsets = prior_offsets(y, 3, 1.0)
    assert offsets[2] == offsets[0] < offsets[1]
    # the plain prior would have made the one-row label win here (its offset ~3.9 vs 0.2)
    proba = np.array([[0.5, 0.02, 0.3]])
    plain = -np.log((np.bincount(y) + 1) / (len(y) + 3))
    assert decide(proba, plain)[0] == 2
    assert decide(proba, offsets)[0] == 0
    # it is still predicted where the model says so plainly
    assert decide(np.array([[0.1, 0.1, 0.8]]), offsets)[0] == 2


def test_only_one_row_labels_keep_the_plain_prior() -> None:
    y = np.array([0, 1, 2])  # every label a single row: nothing to compare with
    np.testing.assert_allclose(prior_offsets(y, 3, 1.0), np.full(3, np.log(3.0)))
