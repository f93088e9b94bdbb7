"""Training entry points a job can hand to a child process without loading the libraries.

To pass ``gbm.train`` to a child, a job thread must first import :mod:`binnr.models.gbm`, and
with it LightGBM, scikit-learn and SciPy, only to name the function. Measured with py-spy on
``bench/status.py --with-load``: that import held the server's interpreter lock for about a
second (extension initialisation, SciPy parsing its docstrings) and put the status p99 at
108 ms. These functions live in a module that imports nothing heavy; the libraries load inside
them, in whichever process runs them. Each one writes the model files into ``folder`` and
returns plain data (reports, label issues), so the server does not unpickle a model either.
The n-gram feature kernels' first compile is handed to a child the same way
(:func:`prepare_kernels`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from binnr.children import marker, prepare_in_child
from binnr.progress import Progress
from binnr.settings import Settings


def fit_text_gbm(*, folder: Path, progress: Progress, **kwargs: Any) -> dict[str, Any]:
    """``model="lightgbm"``: :func:`binnr.models.gbm.train`, saved into ``folder``."""
    from binnr.models import gbm  # LightGBM, scikit-learn: in this process only

    model = gbm.train(progress=progress, **kwargs)
    model.save(folder)
    _warm(model.vectorizer)
    return {
        "report": model.report,
        "training_log": model.training_log,
        "feature_importance": model.feature_importance,
    }


def fit_auto(*, folder: Path, progress: Progress, **kwargs: Any) -> dict[str, Any]:
    """The ensemble (:func:`binnr.models.ensemble.training.train_auto`), saved into ``folder``,
    with its label-issue ranking (computed here: it needs cleanlab)."""
    from binnr.models.ensemble.training import train_auto  # as above

    model = train_auto(progress=progress, **kwargs)
    model.save(folder)
    _warm(model.vectorizer)
    return {
        "report": model.report,
        "chosen": model.chosen,
        "bases": model.bases,
        "label_issues": model.label_issues(),
    }


def _warm(vectorizer: Any) -> None:
    """Run the compiled feature kernels once, with prediction's argument types (both
    transforms, the LightGBM column selection): a first use compiles them for seconds while
    holding the interpreter lock, so children do it and the server, which predicts, only loads
    them from numba's cache (0.2 s)."""
    if vectorizer is not None:
        import numpy as np

        from binnr.models.ensemble.bases import select_columns

        sample = ["warm up", "the kernels"]
        vectorizer.transform(sample)
        x = vectorizer.transform(sample, lengths=False, block_norm=True)
        select_columns(x, np.arange(min(2, x.shape[1])))


def prepare_kernels(settings: Settings) -> bool:
    """Before a server predicts or compares in-process: compile (or load) the n-gram feature
    kernels in a child process (``settings.isolate_training``) unless a marker says a child did
    so for this kernel source and numba, so that this process only loads them. True when
    ready."""
    from binnr.models import ngram_kernel, ngram_tables

    if not (settings.isolate_training and ngram_kernel.AVAILABLE):
        return False
    import numba

    folder = settings.cache_dir / "kernels"
    tables = marker(folder, Path(ngram_tables.__file__)).name  # the kernels compile both files
    done = marker(folder, Path(ngram_kernel.__file__), numba.__version__, tables)
    return prepare_in_child(warm_kernels, done)


def warm_kernels() -> None:
    """Run the kernels once on a tiny vocabulary (the child's work for :func:`prepare_kernels`)."""
    from binnr.models.text_features import Vocabulary

    texts = ["warm up the kernels", "the kernels warm up", "up warm"] * 4
    _warm(Vocabulary(texts).select(labels=[i % 2 for i in range(len(texts))], max_features=50))
