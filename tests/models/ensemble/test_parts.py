"""Chunking, features, calibration and label issues on known inputs."""

from __future__ import annotations

import pickle

import numpy as np
import scipy.sparse as sp

from binnr.models.calibration import Temperature, expected_calibration_error, reliability_table
from binnr.models.ensemble import train_auto
from binnr.models.ensemble.bases import select_columns
from binnr.models.ensemble.chunking import chunked, precompute, split_text
from binnr.models.ensemble.decision import difference_se, macro_f1
from binnr.models.ensemble.features import fit_features, transform
from binnr.models.label_issues import find_label_issues

from .conftest import corpus, fake_embed


def test_long_texts_are_chunked_and_mean_pooled() -> None:
    long_text = " ".join(f"w{i}" for i in range(1000))
    chunks = split_text(long_text, window=100, max_chunks=4)
    assert len(chunks) == 4
    assert chunks[0].startswith("w0 ") and chunks[-1].endswith("w999")  # head and tail kept
    calls: list[int] = []

    def counting(texts: list[str]) -> np.ndarray:
        calls.append(len(texts))
        return fake_embed(texts)

    out = chunked(counting, window=100, max_chunks=4)(["short text", long_text])
    assert calls == [5]  # one batch: 1 + 4 chunks
    np.testing.assert_allclose(out[0], fake_embed(["short text"])[0], atol=1e-6)
    mean = fake_embed(chunks).mean(axis=0)
    np.testing.assert_allclose(out[1], mean / np.linalg.norm(mean), atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-6)


def test_predict_features_equal_training_features() -> None:
    texts, _ = corpus(3, 30)
    vectorizer, matrix = fit_features(texts)
    again = transform(vectorizer, texts)
    assert abs(again - matrix).max() < 1e-5
    capped, small = fit_features(texts, max_ngrams=40)  # the 40 most frequent n-grams only
    assert capped.n_ngrams == small.shape[1] == 40
    assert abs(transform(capped, texts) - small).max() < 1e-5


def test_ece_and_reliability_on_known_inputs() -> None:
    # 10 rows at confidence 0.9, 5 right: ECE 0.4; 10 at 0.7, 7 right: 0
    proba = np.array([[0.9, 0.1]] * 10 + [[0.3, 0.7]] * 10)
    y = np.array([0] * 5 + [1] * 5 + [1] * 7 + [0] * 3)
    assert abs(expected_calibration_error(proba, y) - 0.2) < 1e-9
    table = reliability_table(proba, y)
    assert [(r["count"], round(r["accuracy"], 3)) for r in table] == [(10, 0.7), (10, 0.5)]
    assert (
        expected_calibration_error(
            np.array([[0.7, 0.3]] * 10), y[10:] * 0 + np.array([0] * 7 + [1] * 3)
        )
        < 1e-9
    )


def test_temperature_softens_overconfident_probabilities() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 2000)
    right = rng.random(2000) < 0.7  # 70% right but claims 99%
    pred = np.where(right, y, 1 - y)
    proba = np.where(pred[:, None] == np.arange(2), 0.99, 0.01)
    t = Temperature.fit(proba, y)
    assert t.value > 1
    assert (
        expected_calibration_error(t.apply(proba), y) < 0.02 < expected_calibration_error(proba, y)
    )


def test_label_issues_recover_planted_flips() -> None:
    texts, labels = corpus(3, 80, seed=5)
    rng = np.random.default_rng(0)
    flipped = rng.choice(len(labels), 12, replace=False)
    for i in flipped:
        labels[i] = "class00" if labels[i] != "class00" else "class01"
    trained = train_auto(texts, labels, params={"model": "linear"})
    issues = trained.label_issues(limit=12)
    assert [i.rank for i in issues] == list(range(1, len(issues) + 1))
    hits = {i.index for i in issues} & set(flipped.tolist())
    assert len(hits) >= 9
    assert all(i.given != i.suggested for i in issues if i.index in hits)


def test_find_label_issues_direct() -> None:
    y = np.array([0, 0, 0, 1, 1, 1, 0])
    proba = np.array([[0.9, 0.1]] * 3 + [[0.1, 0.9]] * 3 + [[0.05, 0.95]])
    issues = find_label_issues(y, proba, ["a", "b"])
    assert [(i.index, i.given, i.suggested) for i in issues] == [(6, "a", "b")]


def test_select_columns_equals_scipy_slicing() -> None:
    rng = np.random.default_rng(0)
    for density in (0.0, 0.05, 0.4):
        x = sp.random(30, 40, density=density, format="csr", random_state=1, dtype=np.float32)
        x = sp.vstack([sp.csr_matrix((1, 40)), x, sp.csr_matrix((2, 40))]).tocsr()  # empty rows
        columns = np.sort(rng.choice(40, 15, replace=False))
        picked = select_columns(x, columns)
        assert picked.shape == (33, 15)
        np.testing.assert_array_equal(picked.toarray(), x[:, columns].toarray())


def test_macro_f1_equals_scikit_learn_and_bootstrap_se_is_sane() -> None:
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(0)
    for n in (2, 5, 11):  # the last label never in y: scikit-learn still counts predicted ones
        y, pred = rng.integers(0, n - 1, 300), rng.integers(0, n, 300)
        expected = f1_score(y, pred, average="macro", zero_division=0)
        assert abs(macro_f1(y, pred, n) - expected) < 1e-12
    y = rng.integers(0, 3, 400)
    assert difference_se(y, y, y, 3) == 0.0  # identical predictions: no uncertainty
    noisy = np.where(rng.random(400) < 0.3, rng.integers(0, 3, 400), y)
    assert 0.0 < difference_se(y, y, noisy, 3) < 0.1


def test_precomputed_embeddings_answer_as_the_embedder_would() -> None:
    """What a training in a child process gets: every chunk embedded beforehand, picklable."""
    texts = ["short text", " ".join(f"w{i}" for i in range(500)), "", "short text"]
    ready = pickle.loads(pickle.dumps(precompute(fake_embed, texts, window=40, max_chunks=3)))
    np.testing.assert_array_equal(
        chunked(ready, window=40, max_chunks=3)(texts),
        chunked(fake_embed, window=40, max_chunks=3)(texts),
    )
