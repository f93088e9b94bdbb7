"""Repeated cross-fitting on few rows: the fold plans, the pooled fits, the report."""

from __future__ import annotations

import numpy as np

from binnr.models.calibration import Temperature, log_loss, softmax
from binnr.models.ensemble import AutoParams, train_auto
from binnr.models.ensemble.bases import LinearScorer, assign_folds
from binnr.models.ensemble.crossfit import C_GRID, cross_fit, representative
from binnr.models.ensemble.pooling import MAX_REPEATS, final_temperature, fold_plans

from .conftest import corpus, fake_embed


def test_few_rows_get_repeated_fold_plans_and_many_rows_one() -> None:
    y = np.repeat(np.arange(3), 100)  # 300 rows: ⌈1000 / 300⌉ = 4 cross-fittings
    plans = fold_plans(y, 5, AutoParams())
    assert len(plans) == 4
    np.testing.assert_array_equal(plans[0], assign_folds(y, 5, 0))  # the first is as before
    for plan in plans:  # each stratified: every class spread evenly over the 5 folds
        for c in range(3):
            assert np.bincount(plan[y == c], minlength=5).tolist() == [20] * 5
    assert len({plan.tobytes() for plan in plans}) == 4
    assert len(fold_plans(y[:50], 5, AutoParams())) == MAX_REPEATS
    assert len(fold_plans(y, 5, AutoParams(calibration_rows=300))) == 1
    assert len(fold_plans(y, 5, AutoParams(calibration_rows=0))) == 1


def test_repeated_cross_fit_pools_its_rows_and_picks_c_on_every_fold() -> None:
    texts, labels = corpus(3, 30, seed=9, noise_words=6)
    y = np.array([int(label[-2:]) for label in labels])
    rng = np.random.default_rng(9)  # 30% of the labels redrawn: the grid's C values come close
    flip = rng.random(len(y)) < 0.3
    y[flip] = rng.integers(0, 3, int(flip.sum()))
    x = fake_embed(texts)
    plans = fold_plans(y, 3, AutoParams())
    fit = cross_fit("embeddings", x, y, x[:0], plans, AutoParams(), 3, lambda: None)
    assert len(fit.repeats) == len(plans) - 1 == MAX_REPEATS - 1
    pooled = Temperature.fit(softmax(np.vstack(fit.all_oof())), np.tile(y, len(plans)))
    assert abs(fit.temperature.value - pooled.value) < 1e-6
    # C: the lowest temperature-scaled log-loss over every fold of the first cross-fitting,
    # here not the first fold's choice (what one cross-fitting keeps)
    oof = {c: _oof(x, y, plans[0], c) for c in C_GRID["embeddings"]}
    best = min(oof, key=lambda c: _scaled_loss(oof[c], y))
    once = cross_fit("embeddings", x, y, x[:0], plans[:1], AutoParams(), 3, lambda: None)
    assert fit.setting == {"c": best} != once.setting
    np.testing.assert_allclose(fit.oof, oof[best], atol=1e-6)
    for plan, scores in zip(plans[1:], fit.repeats, strict=True):
        np.testing.assert_allclose(scores, _oof(x, y, plan, best), atol=1e-6)


def _oof(x: np.ndarray, y: np.ndarray, fold: np.ndarray, c: float) -> np.ndarray:
    out = np.zeros((len(y), 3))
    for f in np.unique(fold):
        test = fold == f
        model = LinearScorer.fit(x[~test], y[~test], kind="logreg", c=c, n_labels=3)
        out[test] = model.scores(x[test])
    return out


def _scaled_loss(scores: np.ndarray, y: np.ndarray) -> float:
    proba = softmax(scores)
    return log_loss(Temperature.fit(proba, y).apply(proba), y)


def test_final_temperature_pools_the_repeats_without_single_row_classes() -> None:
    rng = np.random.default_rng(0)
    y_all = np.array([0, 1, 2] * 20 + [3])  # class 3: one row, always wrong out of fold
    n_train = 50  # the last 11 rows are eval rows: they appear once
    hint = np.eye(4)[y_all] * 2  # informative, each repeat with noise of its own size
    proba = [softmax(hint + rng.normal(size=hint.shape) * s) for s in (1.0, 2.0, 3.0)]
    got = final_temperature(proba[0], [p[:n_train] for p in proba[1:]], y_all, n_train)
    seen = representative(y_all)
    rows = np.vstack([proba[0][seen], *[p[:n_train][seen[:n_train]] for p in proba[1:]]])
    y = np.concatenate([y_all[seen], *[y_all[:n_train][seen[:n_train]]] * 2])
    assert abs(got.value - Temperature.fit(rows, y).value) < 1e-9
    alone = final_temperature(proba[0], [], y_all, n_train)
    assert abs(alone.value - Temperature.fit(proba[0][seen], y_all[seen]).value) < 1e-9
    assert abs(got.value - alone.value) > 1e-3


def test_training_on_few_rows_reports_its_cross_fittings() -> None:
    texts, labels = corpus(3, 40)
    params = {"model": "stack", "folds": 3, "calibration_rows": 480}
    trained = train_auto(texts, labels, params=params, embed=fake_embed)
    assert trained.report["calibration"]["cross_fits"] == 4  # ⌈480 / 120⌉
    once = train_auto(texts, labels, params={**params, "calibration_rows": 0}, embed=fake_embed)
    assert once.report["calibration"]["cross_fits"] == 1
    assert trained.temperatures != once.temperatures
