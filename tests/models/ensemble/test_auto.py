"""The auto classifier: every model value, many classes, tiny classes, persistence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from binnr.errors import InvalidInput
from binnr.models.ensemble import AutoModel, AutoParams, train_auto

from .conftest import FAST, corpus, fake_embed


def accuracy(model: AutoModel, texts: list[str], labels: list[str]) -> float:
    return float(np.mean(np.array(model.predict(texts)) == np.array(labels)))


@pytest.mark.parametrize("model", ["auto", "linear", "lightgbm", "embeddings", "stack"])
def test_each_model_value_learns(model: str) -> None:
    texts, labels = corpus(4, 40)
    test_texts, test_labels = corpus(4, 20, seed=1)
    params = AutoParams(model=model, **FAST)  # type: ignore[arg-type]
    trained = train_auto(texts, labels, params=params, embed=fake_embed)
    proba = trained.predict_proba(test_texts)
    assert proba.shape == (len(test_texts), 4)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    assert accuracy(trained, test_texts, test_labels) > 0.9
    board = {row["model"] for row in trained.report["leaderboard"]}
    expected = (
        {"linear", "lightgbm", "embeddings", "stack"} if model in ("auto", "stack") else {model}
    )
    assert board == expected
    if model != "auto":
        assert trained.chosen == model
    assert trained.report["chosen"] == trained.chosen


def test_many_classes_leave_lightgbm_out() -> None:
    texts, labels = corpus(60, 10)
    trained = train_auto(texts, labels, params={"folds": 3}, embed=fake_embed)
    assert len(trained.labels) == 60
    assert "lightgbm" not in {row["model"] for row in trained.report["leaderboard"]}
    assert any("LightGBM left out" in w for w in trained.report["warnings"])
    test_texts, test_labels = corpus(60, 3, seed=2)
    assert accuracy(trained, test_texts, test_labels) > 0.8


def test_classes_with_one_or_two_rows_do_not_break_the_folds() -> None:
    texts, labels = corpus(3, 40)
    texts += ["lonely topic99word0 filler1", "pair topic98word0", "pair topic98word1 filler2"]
    labels += ["rare1", "rare2", "rare2"]
    trained = train_auto(texts, labels, params={"model": "stack", **FAST}, embed=fake_embed)
    assert {"rare1", "rare2"} <= set(trained.labels)
    assert trained.predict_proba(["pair topic98word0"]).shape == (1, 5)


def test_save_load_round_trip_gives_identical_probabilities(tmp_path: Path) -> None:
    texts, labels = corpus(3, 60)
    params = AutoParams(model="stack", **FAST)
    trained = train_auto(texts, labels, params=params, embed=fake_embed)
    trained.save(tmp_path / "m")
    assert not list((tmp_path / "m").glob("*.pkl"))
    loaded = AutoModel.load(tmp_path / "m", embed=fake_embed)
    probe = [*corpus(3, 5, seed=3)[0], "", "never seen words"]
    np.testing.assert_array_equal(trained.predict_proba(probe), loaded.predict_proba(probe))
    assert loaded.report == trained.report
    np.testing.assert_array_equal(loaded.oof_proba, trained.oof_proba)


def test_eval_set_and_unlabelled_rows() -> None:
    texts, labels = corpus(3, 40)
    eval_texts, eval_labels = corpus(3, 10, seed=4)
    trained = train_auto(
        [*texts, "no label"],
        [*labels, None],
        eval_texts=eval_texts,
        eval_labels=eval_labels,
        params={"model": "linear"},
    )
    assert trained.report["rows"] == {"train": 120, "eval": 30, "refit": 150}
    assert trained.report["eval"]["n"] == 30
    assert len(trained.heldout_rows) == 150 and 120 not in set(trained.heldout_rows.tolist())


def test_bad_params_and_missing_embed_are_rejected() -> None:
    texts, labels = corpus(2, 10)
    with pytest.raises(InvalidInput):
        train_auto(texts, labels, params={"modle": "linear"})
    with pytest.raises(InvalidInput):
        train_auto(texts, labels, params={"model": "embeddings"})
