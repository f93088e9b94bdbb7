"""binnr's ``auto`` classifier: a stack of text and embedding models, chosen on held-out rows.

Base models (each also available alone through ``AutoParams.model``):

- ``linear``: a linear SVM (``LinearSVC``) on word 1–2-gram and ``char_wb`` 2–5-gram TF-IDF
  (:mod:`.features`); its margins become probabilities by temperature scaling. Measured
  against logistic regression on the same features: as accurate and 5–10x faster to train.
  ``C`` is chosen per dataset on the first fold, on every fold when there are few rows
  (:mod:`.crossfit`).
- ``lightgbm``: LightGBM on the chi²-selected 2,000 columns of the same features (5,000 cost
  twice the time for no measured gain).
- ``embeddings``: logistic regression on sentence embeddings from ``embed(texts)``.

Stacking (:mod:`.crossfit`): out-of-fold probabilities of the base models (``folds`` folds, 5;
LightGBM ``gbm_folds``, 3, because each fold grows a forest) train the meta-model, a product of
experts: one non-negative weight per base on its log-probabilities. Rows of a class with a
single labelled row are left out of the meta-model's and the temperatures' fits: out of fold
they are always wrong (no fold model knew their class), so they would make the final model look
less sure than it is (measured: ECE 0.080 → 0.033 on 200 bbc rows). The candidates (the stack
and each base model) are compared on held-out predictions of every labelled row: out-of-fold for
the training rows, the fold models' average for the eval split (given, or a stratified
``eval_fraction`` holdout). ``model='auto'`` keeps the best macro-F1, but a single base model
replaces the stack only when it is better by more than the bootstrap standard error of the
difference (on a few hundred rows a point of macro-F1 is noise); ``model`` forces one. Then the
base models the winner needs are refitted on all rows (train + eval) with the settings
cross-fitting chose (``C``, LightGBM rounds); the meta-model and temperatures stay as fitted on
held-out predictions. Training runs with one BLAS thread: the dense fits are small and OpenBLAS
threads competing for a busy 2-core machine made the embeddings probe ten times slower.

Many classes, few rows: LightGBM grows one tree per class per round and needs many rows per
class, so ``auto``/``stack`` leave it out above ``gbm_max_classes`` (20) classes or below
``gbm_min_rows`` (1,000) training rows; linear models handle both cases well. Folds are dealt
per class round-robin, so a class with 1–2 rows is simply missing from some folds' models.

Long texts: embeddings go through :func:`.chunking.chunked`: texts longer than
``window_words`` (160) words are split into windows, at most ``max_chunks`` (8, evenly spaced)
are embedded and mean-pooled, then re-normalised.

Calibration: each base model's probabilities are temperature-scaled on its out-of-fold scores,
and the chosen model's final probabilities once more on all held-out rows
(:mod:`binnr.models.calibration`). Below ``calibration_rows`` (1,000) training rows,
cross-fitting is repeated with new folds and these fits, and the meta-model's, use every
repetition's out-of-fold rows (:mod:`.pooling`). Label issues: cleanlab
(:mod:`binnr.models.label_issues`) on held-out probabilities: every base's re-stacked out of
fold by a small network (:mod:`.restack`), or the chosen model's where that does not lower the
log-loss. Storage: :mod:`.model` (JSON, ``.npz``, LightGBM text).
"""

from __future__ import annotations

import importlib
from typing import Any

# The package is imported for its parameter model by light modules (the API's request schemas,
# the CLI), so LightGBM and scikit-learn load only when these names are first used.
_LAZY = {
    "FORMAT": "binnr.models.ensemble.model",
    "AutoModel": "binnr.models.ensemble.model",
    "AutoParams": "binnr.models.ensemble.params",
    "train_auto": "binnr.models.ensemble.training",
}
__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)
