"""The compare job's split: stratified, seeded, every class keeps a training row."""

from __future__ import annotations

import pytest

from binnr.errors import InvalidInput
from binnr.services.split import stratified_split


def test_stratified_and_repeatable() -> None:
    labels = ["a"] * 50 + ["b"] * 30 + ["c"] * 1
    texts = [f"t{i}" for i in range(len(labels))]
    split = stratified_split(texts, labels, test_fraction=0.2, seed=1)
    assert sorted(split.test_labels) == ["a"] * 10 + ["b"] * 6
    assert "c" in split.train_labels and split.labels == ["a", "b", "c"]
    assert set(split.train) | set(split.test) == set(range(len(labels)))
    again = stratified_split(texts, labels, test_fraction=0.2, seed=1)
    assert list(again.test) == list(split.test)


def test_too_few_rows_is_a_clear_error() -> None:
    with pytest.raises(InvalidInput, match="cannot be split"):
        stratified_split(["x", "y"], ["a", "a"], test_fraction=0.5, seed=0)
