"""Label issues ranked on re-stacked base probabilities (``binnr.models.ensemble.restack``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from binnr.models.calibration import softmax
from binnr.models.ensemble import AutoModel, AutoParams, train_auto
from binnr.models.ensemble.bases import assign_folds
from binnr.models.ensemble.crossfit import meta_features, meta_oof
from binnr.models.ensemble.restack import issue_proba
from binnr.models.label_issues import find_label_issues

from .conftest import FAST, corpus, fake_embed


def two_specialists(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Held-out probabilities of two bases, each trustworthy for some classes only (the first
    is blind to class 2, the second sees nothing else), and labels with 5% flipped."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, n)
    a, b = rng.normal(0, 1, (n, 3)), rng.normal(0, 1, (n, 3))
    a[np.arange(n), np.where(truth == 2, rng.integers(0, 2, n), truth)] += 3.0
    b[:, 2] += np.where(truth == 2, 3.0, 0.0)
    y = truth.copy()
    flipped = rng.choice(n, n // 20, replace=False)
    y[flipped] = (y[flipped] + rng.integers(1, 3, len(flipped))) % 3
    return np.stack([softmax(a), softmax(b)], axis=1), y, flipped


def precision(y: np.ndarray, proba: np.ndarray, flipped: np.ndarray) -> float:
    issues = find_label_issues(y, proba, ["a", "b", "c"], limit=len(flipped))
    return len({i.index for i in issues} & set(flipped.tolist())) / len(flipped)


def test_restacking_finds_more_planted_flips_than_the_blend() -> None:
    bases, y, flipped = two_specialists(1500, seed=0)
    z = meta_features([bases[:, 0], bases[:, 1]])
    blend = meta_oof(z, y, assign_folds(y, 5, 0), 3)  # the stack's one weight per base
    restacked = issue_proba(y, blend, bases, folds=5, seed=0)
    assert restacked is not blend
    before, after = precision(y, blend, flipped), precision(y, restacked, flipped)
    assert after >= 0.65 and after >= before + 0.1, (before, after)


def test_the_stack_is_kept_when_restacking_does_not_lower_the_log_loss() -> None:
    bases, y, _ = two_specialists(300, seed=1)
    sharp = softmax(8.0 * np.eye(3)[y])  # better than any model of the bases can be
    assert issue_proba(y, sharp, bases, folds=5, seed=0) is sharp
    assert issue_proba(y, sharp, bases[:, :1], folds=5, seed=0) is sharp  # a single base


def test_trained_model_stores_base_probabilities_and_flags_flips(tmp_path: Path) -> None:
    texts, labels = corpus(3, 80, seed=5)
    rng = np.random.default_rng(0)
    flipped = rng.choice(len(labels), 12, replace=False)
    for i in flipped:
        labels[i] = "class00" if labels[i] != "class00" else "class01"
    trained = train_auto(texts, labels, params=AutoParams(model="stack", **FAST), embed=fake_embed)
    assert trained.heldout["bases"].shape == (240, 3, 3)
    issues = trained.label_issues(limit=12)
    assert len({i.index for i in issues} & set(flipped.tolist())) >= 9
    trained.save(tmp_path / "m")
    loaded = AutoModel.load(tmp_path / "m", embed=fake_embed)
    assert [i.to_dict() for i in loaded.label_issues(limit=12)] == [i.to_dict() for i in issues]
