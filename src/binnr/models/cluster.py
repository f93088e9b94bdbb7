"""Class-aligned clustering of sentence embeddings: label unlabelled rows from labelled ones.

Input: one embedding per row and a class index per row (``-1`` = unlabelled). Both algorithms
first reduce the embeddings with PCA (``n_components``, default 500, capped by rows and
dimensions; ``None`` skips it) and report, per row, a ``cluster_id``, the ``predicted`` class
and a ``similarity``: ``100 * cosine(row, its cluster's centroid)`` in the reduced space,
rounded to 2 decimals.

``seed`` — the original binnr, kept for comparison. KMeans with one cluster per class, seeded
with each class's mean embedding, runs ``number_of_iterations`` Lloyd iterations over all rows.
A cluster's label is then the class ``c`` with the largest sum of ``(c + 1) * similarity`` over
the cluster's labelled rows (``c + 1`` stands for the original's label numbers, which start at
1). That weighting favours classes with larger numbers, and the clusters drift away from the
classes as KMeans iterates (tweets: 0.61 accuracy after 1 iteration, 0.58 after 2, 0.32
converged); both are kept on purpose. A cluster without labelled rows keeps its seed's class.
Centroids are KMeans's final centres.

``pinned`` (default) — one cluster per class that stays tied to its class. Rows are mapped to
the space where the classes' shared within-class covariance is the identity (linear
discriminant analysis; the covariance is shrunk towards a multiple of the identity by the
Ledoit-Wolf amount, at least :data:`MIN_SHRINKAGE`, so a few hundred labelled rows suffice).
There each class is a Gaussian with its own mean and a prior from the labelled counts.
Labelled rows are pinned to their class. Each iteration assigns every unlabelled row to the
class with the highest ``-|z - mean|^2 / 2 + log prior``, then re-estimates each class mean
from its labelled rows (weight 1) and assigned unlabelled rows (weight
:data:`UNLABELLED_WEIGHT`); a final assignment uses the last means. More iterations move the
means towards the unlabelled data without ever letting a cluster change class. Centroids (for
``similarity``) are the plain means of each cluster's rows in the reduced space;
``cluster_id`` is the class index. Measured on hidden labels (MiniLM, 8,000 rows, 80%
labelled): tweets 0.67 vs ``seed`` 0.58, airline 0.80 vs 0.59, text emotion 0.32 vs 0.27,
level with a logistic-regression probe. Several k-means sub-centroids per class and plain
pinned KMeans in cosine space were tried and were worse (tweets 0.56–0.65).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np

from binnr.errors import InvalidInput
from binnr.progress import NullProgress, Progress

Algorithm = Literal["pinned", "seed"]
ALGORITHMS: tuple[str, ...] = get_args(Algorithm)
MIN_SHRINKAGE = 0.2
UNLABELLED_WEIGHT = 0.5
#: KMeans runs this many iterations per call between cancel/time-limit checks.
KMEANS_CHUNK = 10


@dataclass(frozen=True)
class ClusterResult:
    """Per row: ``cluster_id``, ``similarity`` (0-100 scale, 2 decimals), ``predicted`` class."""

    cluster_id: np.ndarray
    similarity: np.ndarray
    predicted: np.ndarray
    algorithm: str
    n_components: int | None


def cluster(
    *,
    embeddings: np.ndarray,
    targets: np.ndarray,
    n_classes: int,
    number_of_iterations: int = 2,
    n_components: int | None = 500,
    algorithm: Algorithm = "pinned",
    seed: int = 0,
    progress: Progress = NullProgress(),
) -> ClusterResult:
    """Cluster rows and label each one (see the module docstring for both algorithms).

    Both loops call ``progress.check_cancelled()`` every iteration (chunk, for KMeans), so a
    long run can be cancelled and stops at the job's time limit.
    """
    x, t = _validated(embeddings, targets, n_classes, number_of_iterations, n_components, algorithm)
    z, used = reduce(x, n_components=n_components, seed=seed)
    if algorithm == "seed":
        cluster_id, centroids, labels = _seeded_kmeans(
            z, t, n_classes, number_of_iterations, seed, progress
        )
    else:
        cluster_id, centroids, labels = _pinned(z, t, n_classes, number_of_iterations, progress)
    return ClusterResult(
        cluster_id=cluster_id,
        similarity=similarity(z, centroids[cluster_id]),
        predicted=labels[cluster_id],
        algorithm=algorithm,
        n_components=used,
    )


def similarity(rows: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """``100 * cosine(rows[i], centroids[i])`` rounded to 2 decimals (0 for a zero vector)."""
    dot = np.einsum("ij,ij->i", rows, centroids)
    norms = np.linalg.norm(rows, axis=1) * np.linalg.norm(centroids, axis=1)
    cosine = np.divide(dot, norms, out=np.zeros_like(dot), where=norms > 0)
    return np.round(100.0 * cosine, 2)


def reduce(
    x: np.ndarray, *, n_components: int | None, seed: int = 0
) -> tuple[np.ndarray, int | None]:
    """PCA to ``min(n_components, rows, dims)`` components; ``None`` (or < 2 rows) keeps ``x``."""
    if n_components is None or x.shape[0] < 2:
        return x, None
    from sklearn.decomposition import PCA

    used = int(min(n_components, x.shape[0], x.shape[1]))
    with np.errstate(invalid="ignore", divide="ignore"):  # all-identical rows: zero variance
        return PCA(n_components=used, random_state=seed).fit_transform(x), used


def hidden_split(targets: np.ndarray, *, fraction: float = 0.1, seed: int = 0) -> np.ndarray:
    """A stratified ``fraction`` of the labelled rows, as a boolean mask, for evaluation.

    Per class, ``round(fraction * n)`` rows are hidden, but never a class's last labelled row,
    so every class keeps at least one labelled row to cluster with.
    """
    if not 0.0 <= fraction < 1.0:
        raise InvalidInput(
            f"The hidden fraction must be in [0, 1); got {fraction}.", hint="Use e.g. 0.1."
        )
    t = np.asarray(targets).astype(np.int64, copy=False).ravel()
    rng = np.random.default_rng(seed)
    mask = np.zeros(t.shape[0], dtype=bool)
    for label in np.unique(t[t >= 0]):
        rows = np.flatnonzero(t == label)
        count = min(int(np.floor(fraction * rows.size + 0.5)), rows.size - 1)
        mask[rng.choice(rows, size=count, replace=False)] = True
    return mask


def _seeded_kmeans(
    z: np.ndarray, t: np.ndarray, n_classes: int, iterations: int, seed: int, progress: Progress
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The original: class-mean seeds, KMeans, then the (c + 1)-weighted cluster labels."""
    present = np.unique(t[t >= 0])
    seeds = np.stack([z[t == c].mean(axis=0) for c in present])
    km = _kmeans_in_chunks(z, seeds, iterations, seed, progress)
    cluster_id = km.labels_.astype(np.int64)
    centroids = km.cluster_centers_
    sims = similarity(z, centroids[cluster_id])
    labelled = t >= 0
    scores = np.zeros((len(present), n_classes))
    np.add.at(scores, (cluster_id[labelled], t[labelled]), (t[labelled] + 1) * sims[labelled])
    has_votes = np.any(scores != 0, axis=1)
    labels = np.where(has_votes, scores.argmax(axis=1), present)
    return cluster_id, centroids, labels.astype(np.int64)


def _kmeans_in_chunks(
    z: np.ndarray, seeds: np.ndarray, iterations: int, seed: int, progress: Progress
) -> Any:
    """KMeans from ``seeds`` for ``iterations``, restarted from its own centres every
    :data:`KMEANS_CHUNK` iterations so cancel and the time limit are checked in between.

    Up to one chunk (the default 2 iterations) it is exactly one ``fit``; it stops early when
    a chunk converged (ran fewer iterations than it was given).
    """
    from sklearn.cluster import KMeans

    centres, left = seeds, iterations
    while True:
        progress.check_cancelled()
        step = min(left, KMEANS_CHUNK)
        km = KMeans(n_clusters=len(seeds), init=centres, n_init=1, max_iter=step, random_state=seed)
        km.fit(z)
        left -= step
        progress.update(done=iterations - left, total=iterations, message="kmeans")
        if left == 0 or km.n_iter_ < step:
            return km
        centres = km.cluster_centers_


def _pinned(
    z: np.ndarray, t: np.ndarray, n_classes: int, iterations: int, progress: Progress
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Semi-supervised shared-covariance Gaussian classes; labelled rows never move."""
    labelled = t >= 0
    present = np.unique(t[labelled])
    w = _whitened(z, t, present)
    counts = np.bincount(t[labelled], minlength=n_classes).astype(float)
    log_prior = np.full(n_classes, -np.inf)
    log_prior[present] = np.log(counts[present] / counts.sum())
    weights = np.where(labelled, 1.0, UNLABELLED_WEIGHT)
    means = np.zeros((n_classes, w.shape[1]))
    assigned = t.copy()
    for step in range(iterations + 1):
        progress.check_cancelled()
        progress.update(done=step, total=iterations + 1, message="iterating")
        for c in present:  # step 0: labelled rows only; later: plus assigned unlabelled rows
            rows = assigned == c
            means[c] = np.average(w[rows], axis=0, weights=weights[rows])
        scores = w @ means.T - 0.5 * np.einsum("ij,ij->i", means, means) + log_prior
        assigned = np.where(labelled, t, scores.argmax(axis=1))
        if step == iterations:
            break
    centroids = np.zeros((n_classes, z.shape[1]))
    for c in np.unique(assigned):
        centroids[c] = z[assigned == c].mean(axis=0)
    return assigned.astype(np.int64), centroids, np.arange(n_classes, dtype=np.int64)


def _whitened(z: np.ndarray, t: np.ndarray, present: np.ndarray) -> np.ndarray:
    """``z`` centred and rotated so the shrunk within-class covariance is the identity."""
    labelled = t >= 0
    class_means = {int(c): z[t == c].mean(axis=0) for c in present}
    residuals = z[labelled] - np.stack([class_means[int(c)] for c in t[labelled]])
    centred = z - z[labelled].mean(axis=0)
    scale = float(np.einsum("ij,ij->", residuals, residuals)) / max(len(residuals), 1)
    if scale <= 1e-12 * max(1.0, float(np.abs(z).max(initial=0.0)) ** 2):
        return centred  # one row per class (or identical rows): no spread to whiten by
    cov = residuals.T @ residuals / len(residuals)
    shrink = max(MIN_SHRINKAGE, _ledoit_wolf(residuals))
    target = scale / z.shape[1]
    cov = (1 - shrink) * cov + shrink * target * np.eye(z.shape[1])
    values, vectors = np.linalg.eigh(cov)
    return centred @ (vectors / np.sqrt(np.maximum(values, 1e-12 * target)))


def _ledoit_wolf(residuals: np.ndarray) -> float:
    if residuals.shape[0] < 2:
        return 1.0
    from sklearn.covariance import ledoit_wolf_shrinkage

    return float(ledoit_wolf_shrinkage(residuals, assume_centered=True))


def _validated(
    embeddings: np.ndarray,
    targets: np.ndarray,
    n_classes: int,
    iterations: int,
    n_components: int | None,
    algorithm: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Float64 embeddings and int64 targets, or :class:`InvalidInput` naming the problem."""
    x = np.asarray(embeddings, dtype=np.float64)
    t = np.asarray(targets)
    checks: list[tuple[Callable[[], bool], str]] = [
        (lambda: x.ndim != 2 or x.shape[1] < 1, "embeddings must be a 2-D array (rows x dims)."),
        (lambda: t.ndim != 1 or t.shape[0] != x.shape[0], "targets need one entry per row."),
        (
            lambda: not isinstance(n_classes, int | np.integer) or n_classes < 1,
            "n_classes must be at least 1.",
        ),
        (lambda: int(iterations) < 1, "number_of_iterations must be at least 1."),
        (
            lambda: n_components is not None and int(n_components) < 1,
            "n_components must be at least 1 (or None for no PCA).",
        ),
        (lambda: algorithm not in ALGORITHMS, f"algorithm must be one of {', '.join(ALGORITHMS)}."),
    ]
    for failed, message in checks:  # in order: later checks rely on earlier ones
        if failed():
            raise InvalidInput(message, hint=_HINT)
    if not np.all(np.isfinite(x)):
        raise InvalidInput("embeddings contain NaN or infinite values.", hint=_HINT)
    if t.size and not np.issubdtype(t.dtype, np.integer):
        raise InvalidInput("targets must be integer class indexes (-1 = unlabelled).", hint=_HINT)
    t = t.astype(np.int64)
    if np.any((t < -1) | (t >= n_classes)):
        raise InvalidInput(f"targets must be -1 or a class index below {n_classes}.", hint=_HINT)
    if not np.any(t >= 0):
        raise InvalidInput(
            "No labelled rows: clustering seeds each class with its labelled rows.",
            hint="Label at least one row per class you want predicted.",
        )
    return x, t


_HINT = "Pass embeddings (n x d), targets (n,) with -1 for unlabelled rows, and n_classes."
