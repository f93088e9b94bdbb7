"""The base models' building blocks: folds, linear scorers, LightGBM scorers.

Every base model turns a feature matrix into *scores*: one column per label, whose softmax is the
model's probability (logits of a logistic regression, margins of a linear SVM, raw LightGBM
scores). A label missing from a fold's training rows gets a score far below the row's others.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as binnr.models.gbm: see there

import lightgbm as lgb
import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_selection import chi2
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from binnr.models import ngram_kernel

_MISSING = 10.0  # score gap below the row's lowest for a label the model never saw


def assign_folds(y: np.ndarray, folds: int, seed: int, *, repeat: int = 0) -> np.ndarray:
    """Stratified fold per row: each class's shuffled rows dealt round-robin from a random start.

    A class with fewer rows than folds lands in some folds only (never an error); those folds'
    models do not know it, and the others predict its rows. ``repeat`` > 0 deals another,
    independent assignment from the same seed (repeated cross-fitting).
    """
    rng = np.random.default_rng(seed if repeat == 0 else [seed, repeat])
    fold = np.zeros(len(y), dtype=np.int64)
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        fold[idx] = (np.arange(len(idx)) + rng.integers(folds)) % folds
    return fold


class LinearScorer:
    """``x @ coef.T + intercept`` over the labels seen in training."""

    def __init__(self, *, coef: Any, intercept: Any, classes: Any, n_labels: int) -> None:
        self.coef = np.asarray(coef, dtype=np.float32)
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self.classes = np.asarray(classes, dtype=np.int64)
        self.n_labels = n_labels

    @classmethod
    def fit(cls, x: Any, y: np.ndarray, *, kind: str, c: float, n_labels: int) -> LinearScorer:
        present = np.unique(y)
        if len(present) < 2:  # one class only: it wins every row
            coef = np.zeros((1, x.shape[1]))
            return cls(coef=coef, intercept=[0.0], classes=present, n_labels=n_labels)
        if kind == "svm":
            model: Any = LinearSVC(C=c, dual="auto", max_iter=2000)
        else:
            model = LogisticRegression(C=c, max_iter=1000)
        with warnings.catch_warnings():  # an unconverged fit is still a usable one
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(x, y)
        return cls(
            coef=model.coef_, intercept=model.intercept_, classes=model.classes_, n_labels=n_labels
        )

    def scores(self, x: Any) -> np.ndarray:
        z = np.asarray(x @ self.coef.T, dtype=np.float64) + self.intercept
        if len(self.classes) == 1:
            z = np.zeros((x.shape[0], 1))
        elif len(self.classes) == 2:  # one margin for the second class
            z = np.column_stack([np.zeros(len(z)), z[:, 0]])
        return fill(z, self.classes, self.n_labels)

    def arrays(self) -> dict[str, Any]:
        return {"coef": self.coef, "intercept": self.intercept, "classes": self.classes}

    @classmethod
    def from_arrays(cls, a: Any, n_labels: int) -> LinearScorer:
        return cls(
            coef=a["coef"], intercept=a["intercept"], classes=a["classes"], n_labels=n_labels
        )


def fill(z: np.ndarray, classes: np.ndarray, n_labels: int) -> np.ndarray:
    """Scores for every label: the seen ones from ``z``, the others far below the row's lowest."""
    if len(classes) == n_labels:
        return z
    out = np.repeat(z.min(axis=1, keepdims=True) - _MISSING, n_labels, axis=1)
    out[:, classes] = z
    return out


#: LightGBM trains on one thread. Measured with binnr's OMP_WAIT_POLICY=PASSIVE (idle threads
#: sleep, which a shared machine needs): a second thread made training 10x slower on 800 rows of
#: 10 classes (2.6 s vs 0.25 s) and 1.35x slower on 22k tweets (4.1 s vs 3.0 s): a tree's
#: histograms are too small to share, and every parallel region wakes the sleeping thread.
TRAIN_THREADS = 1


class GbmScorer:
    """LightGBM raw scores on chosen columns of the shared text features."""

    def __init__(self, *, booster: Any, columns: Any, n_labels: int) -> None:
        self.booster = booster
        self.columns = np.asarray(columns, dtype=np.int64)
        self.n_labels = n_labels

    @classmethod
    def fit(
        cls,
        x: sp.csr_matrix,
        y: np.ndarray,
        *,
        n_labels: int,
        features: int,
        rounds: int,
        seed: int,
        threads: int,
        valid: tuple[sp.csr_matrix, np.ndarray] | None = None,
    ) -> GbmScorer:
        """chi² keeps ``features`` columns; ``valid`` (x, y) enables early stopping."""
        scores = np.nan_to_num(chi2(x, y)[0], nan=0.0)
        columns = np.sort(np.argsort(-scores, kind="stable")[:features])
        binary = n_labels == 2
        params = {
            "objective": "binary" if binary else "multiclass",
            "num_class": 1 if binary else n_labels,
            "learning_rate": 0.3,
            "num_leaves": 31,
            "min_data_in_leaf": 5,
            "feature_fraction": 0.5,
            "max_bin": 15,
            "seed": seed,
            "num_threads": threads,
            "deterministic": True,
            "force_col_wise": True,
            "verbose": -1,
        }
        train = lgb.Dataset(
            select_columns(x, columns), label=y, params={"max_bin": 15, "verbose": -1}
        )
        sets: list[Any] = []
        callbacks: list[Any] = []
        if valid is not None:
            sets = [lgb.Dataset(select_columns(valid[0], columns), label=valid[1], reference=train)]
            callbacks = [lgb.early_stopping(10, verbose=False)]
        booster = lgb.train(
            params, train, num_boost_round=rounds, valid_sets=sets, callbacks=callbacks
        )
        return cls(booster=booster, columns=columns, n_labels=n_labels)

    @property
    def rounds(self) -> int:
        return int(self.booster.best_iteration or self.booster.current_iteration())

    def scores(self, x: sp.csr_matrix, threads: int = 1) -> np.ndarray:
        raw = self.booster.predict(
            select_columns(x, self.columns),
            raw_score=True,
            num_iteration=self.rounds,
            num_threads=threads,
        )
        z = np.asarray(raw, dtype=np.float64)
        if self.n_labels == 2:
            return np.column_stack([np.zeros(len(z)), z.reshape(-1)])
        return z.reshape(-1, self.n_labels)


def select_columns(x: sp.csr_matrix, columns: np.ndarray) -> sp.csr_matrix:
    """``x[:, columns]`` for sorted, distinct ``columns``, by renumbering the stored entries.

    scipy slices columns through a sparse product, several times slower on wide matrices.
    """
    position = np.full(x.shape[1], -1, dtype=np.int32)
    position[columns] = np.arange(len(columns), dtype=np.int32)
    if ngram_kernel.AVAILABLE:
        indptr, indices, data = ngram_kernel.kept_columns(x.indptr, x.indices, x.data, position)
        return sp.csr_matrix((data, indices, indptr), shape=(x.shape[0], len(columns)))
    new = position[x.indices]
    kept = new >= 0
    # entries kept before each row start: the new row pointers
    indptr = np.concatenate([[0], np.cumsum(kept)])[x.indptr]
    return sp.csr_matrix((x.data[kept], new[kept], indptr), shape=(x.shape[0], len(columns)))
