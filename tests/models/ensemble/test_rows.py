"""Input handling of the auto classifier: what it tells the user about the labels."""

from __future__ import annotations

import numpy as np

from binnr.models.ensemble import train_auto
from binnr.models.ensemble.rows import label_warnings

from .conftest import FAST, corpus, fake_embed


def test_case_twins_and_one_row_labels_are_named() -> None:
    labels = ["business", "Business", "tech", " Tech", "sport", "Solo"]
    found = label_warnings(labels, np.array([269, 1, 209, 3, 277, 1]))
    assert len(found) == 2
    twins, single = found
    assert "'business' (269 rows) and 'Business' (1 row)" in twins
    assert "'tech' (209 rows) and ' Tech' (3 rows)" in twins
    assert "sport" not in twins
    assert single.startswith("2 labels have a single row ('Business', 'Solo')")


def test_clean_labels_give_no_warning() -> None:
    assert label_warnings(["a", "b", "c"], np.array([5, 9, 2])) == []


def test_long_lists_are_cut_with_a_count_of_the_rest() -> None:
    labels = [f"label{i}" for i in range(12)]
    (single,) = label_warnings(labels, np.ones(12, dtype=int), shown=5)
    assert single.startswith("12 labels have a single row") and "and 7 more" in single


def test_a_one_row_case_twin_is_reported_and_does_not_take_its_twin_s_rows() -> None:
    texts, labels = corpus(3, 40)
    twin_text = next(t for t, label in zip(texts, labels, strict=True) if label == "class01")
    trained = train_auto(
        [*texts, twin_text], [*labels, "Class01"], params={"model": "linear", **FAST}
    )
    warned = " ".join(trained.report["warnings"])
    assert "'class01' (40 rows) and 'Class01' (1 row)" in warned
    assert "single row ('Class01')" in warned
    test_texts, test_labels = corpus(3, 20, seed=5)
    predicted = trained.predict(test_texts, embed=fake_embed)
    assert "Class01" not in predicted
    assert np.mean(np.array(predicted) == np.array(test_labels)) > 0.9
