"""The probabilities label issues are ranked on: the base models' held-out probabilities
re-stacked by a small neural network, fitted out of fold.

The stack's meta-model (:class:`.crossfit.Blend`) has one weight per base model: right for
predicting (it cannot over-fit a few hundred rows or many classes), but it cannot say "trust the
embeddings for this class and the n-grams for that one", nor bend where the bases disagree.
Label issues are ranked on how unlikely each row's given label is, so they gain from the best
held-out probabilities there are. :func:`issue_proba` fits a one-hidden-layer network
(:data:`HIDDEN` units, L2 :data:`ALPHA`, :data:`EPOCHS` passes of Adam) on the bases'
log-probabilities, out of fold (``folds`` stratified folds: no row's own label enters its own
probabilities, which the base models already guarantee one level down), and keeps it only if its
out-of-fold log-loss is lower than the stack's: where it is not (a few hundred rows, many
classes, one strong base), nothing changes.

Measured with ``bench/quality.py`` (5% of the training labels flipped, share of flipped rows
among the top 5% flagged): tweets 0.445 → 0.475, airline 0.609 → 0.619; out-of-fold log-loss
0.719 → 0.689 and 0.554 → 0.544. Tried on the same held-out probabilities, where this network
scored 0.477 / 0.619, and not kept (tweets / airline): a multinomial logistic regression on
the same inputs (0.455 / 0.623; it cannot bend either), one weight per base *and* class
(0.456 / 0.616), quadratic features (0.480 / 0.614, but labels² × bases² weights), LightGBM
(0.466 / 0.602), dropping the flagged rows and cross-fitting again (0.404 / 0.597: the models
grow over-confident on ambiguous texts), cross-fitting the bases on 10 folds instead of 5
(0.443 / 0.613), ranking by the bases' agreement (their minimum, maximum or mean rank: ≤ 0.432
on tweets), and a fourth base for this network (naive Bayes on the n-grams: 0.489 / 0.606).
It runs when label issues are asked for (:meth:`.model.AutoModel.label_issues`), not in
training: about 3 s on tweets' 22k rows, 9 s on 20k rows of 77 labels (one CPU).
"""

from __future__ import annotations

import warnings

import numpy as np

from binnr.models.calibration import log_loss
from binnr.models.ensemble.bases import assign_folds
from binnr.models.ensemble.crossfit import meta_features, representative

HIDDEN = 32  # units: labels × bases inputs, a few hundred weights per label
ALPHA = 1e-3  # L2 penalty (scikit-learn's default ×10)
EPOCHS = 30  # fixed, no early stopping: its stratified split fails on one-row classes


def issue_proba(
    y: np.ndarray, proba: np.ndarray, bases: np.ndarray, *, folds: int, seed: int
) -> np.ndarray:
    """``bases`` (rows × base models × labels, held-out probabilities) re-stacked out of fold,
    or ``proba`` (the stack's) where that does not lower the out-of-fold log-loss."""
    y = np.asarray(y, dtype=np.int64)
    if bases.ndim != 3 or bases.shape[1] < 2 or len(y) < 2 * folds:
        return proba
    restacked = restack_oof(y, bases, folds=folds, seed=seed)
    seen = representative(y)  # as for the temperatures: one-row classes are always wrong here
    if restacked is None or log_loss(restacked[seen], y[seen]) >= log_loss(proba[seen], y[seen]):
        return proba
    return restacked


def restack_oof(y: np.ndarray, bases: np.ndarray, *, folds: int, seed: int) -> np.ndarray | None:
    """Each row's probabilities from a network fitted on the other folds (``None``: a fold's
    training rows hold a single class)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    from threadpoolctl import threadpool_limits

    z = meta_features([bases[:, b, :] for b in range(bases.shape[1])])
    n_labels = bases.shape[2]
    fold = assign_folds(y, folds, seed)
    usable = representative(y)
    out = np.zeros((len(y), n_labels))
    for f in range(folds):
        test, train = fold == f, (fold != f) & usable
        if not test.any():
            continue
        if len(np.unique(y[train])) < 2:
            return None
        net = MLPClassifier((HIDDEN,), alpha=ALPHA, max_iter=EPOCHS, random_state=seed)
        # one BLAS thread, as in training: the matrices are small (see .training)
        with threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # a fixed number of epochs
            net.fit(z[train], y[train])
        # a label missing from the fold's training rows keeps probability 0 there
        out[np.ix_(np.flatnonzero(test), net.classes_)] = net.predict_proba(z[test])
    return out
