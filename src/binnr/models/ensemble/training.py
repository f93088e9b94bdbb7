""":func:`train_auto`: cross-fit the base models, stack them, choose, calibrate, refit."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import ValidationError

from binnr.errors import InvalidInput, ModelError
from binnr.jobs.progress import NullProgress, Progress
from binnr.models import metrics
from binnr.models.calibration import (
    Temperature,
    expected_calibration_error,
    log_loss,
    reliability_table,
    softmax,
)
from binnr.models.ensemble.bases import GbmScorer, LinearScorer, assign_folds
from binnr.models.ensemble.chunking import Embed, chunked
from binnr.models.ensemble.crossfit import (
    KIND,
    Blend,
    CrossFit,
    cross_fit,
    meta_features,
    meta_oof,
)
from binnr.models.ensemble.decision import decide, fit_alpha, prior_offsets
from binnr.models.ensemble.features import fit_features, transform
from binnr.models.ensemble.model import AutoModel
from binnr.models.ensemble.params import AutoParams
from binnr.models.gbm_training import _clean, _holdout


@dataclass
class _Rows:
    texts: list[str]  # labelled rows: training rows, then the given eval rows
    y: np.ndarray
    labels: list[str]
    train: np.ndarray
    eval: np.ndarray
    positions: np.ndarray  # each row's position in the input (eval texts after texts)
    warnings: list[str]


def train_auto(
    texts: Sequence[str | None],
    labels: Sequence[str | None],
    *,
    params: AutoParams | dict[str, Any] | None = None,
    embed: Embed | None = None,
    eval_texts: Sequence[str | None] | None = None,
    eval_labels: Sequence[str | None] | None = None,
    progress: Progress | None = None,
) -> AutoModel:
    """Train the ``auto`` classifier (see :mod:`binnr.models.ensemble`)."""
    p, prog, started = _params(params), progress or NullProgress(), time.perf_counter()
    rows = _rows(texts, labels, eval_texts, eval_labels, p)
    bases = _bases(p, rows, embed is not None)
    total = len(bases) + 3
    prog.phase("features", index=1, total=total)
    x, emb = _inputs(rows, bases, p, embed)
    fold = assign_folds(rows.y[rows.train], p.folds, p.seed)
    fits = {}
    for i, name in enumerate(bases):
        prog.phase(name, index=i + 2, total=total)
        data = emb if name == "embeddings" else x
        assert data is not None
        fits[name] = cross_fit(
            name,
            data[rows.train],
            rows.y[rows.train],
            data[rows.eval],
            fold,
            p,
            len(rows.labels),
            prog.check_cancelled,
        )
    prog.phase("stack", index=total - 1, total=total)
    heldout, meta = _candidates(fits, rows, fold, len(rows.labels), p)
    leaderboard = _leaderboard(heldout, fits, rows)
    chosen = p.model if p.model in heldout else max(leaderboard, key=_rank)["model"]
    order = np.concatenate([rows.train, rows.eval])
    y_all = rows.y[order]
    temperature = Temperature.fit(heldout[chosen], y_all) if p.calibrate else Temperature()
    proba = temperature.apply(heldout[chosen])
    prog.phase("refit", index=total, total=total)
    used = bases if chosen == "stack" else [chosen]
    scorers, vectorizer = _refit(rows, used, fits, p, emb)
    alpha = next(e["prior_alpha"] for e in leaderboard if e["model"] == chosen)
    offsets = prior_offsets(y_all, len(rows.labels), alpha)
    report = _report(rows, leaderboard, chosen, heldout[chosen], proba, y_all, fits, offsets)
    report |= {"temperature": temperature.value, "train_seconds": time.perf_counter() - started}
    return AutoModel(
        labels=rows.labels,
        params=p,
        chosen=chosen,
        scorers=scorers,
        temperatures={b: fits[b].temperature.value for b in used} | {"final": temperature.value},
        meta=meta if chosen == "stack" else None,
        vectorizer=vectorizer,
        info={"report": report, "decision_offsets": offsets.tolist()},
        heldout={"proba": proba, "y": y_all, "rows": rows.positions[order]},
        embed=embed,
    )


def _rank(entry: dict[str, Any]) -> tuple[float, float]:
    return (entry["macro_f1"], -(entry["log_loss"] or 0.0))


def _params(params: AutoParams | dict[str, Any] | None) -> AutoParams:
    if isinstance(params, AutoParams):
        return params
    try:
        return AutoParams.model_validate(params or {})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InvalidInput(
            f"Invalid auto params: {problems}",
            hint=f"Allowed keys: {', '.join(AutoParams.model_fields)}.",
        ) from exc


def _rows(
    texts: Sequence[str | None],
    labels: Sequence[str | None],
    eval_texts: Sequence[str | None] | None,
    eval_labels: Sequence[str | None] | None,
    p: AutoParams,
) -> _Rows:
    extra_t, extra_l = list(eval_texts or []), list(eval_labels or [])
    if len(texts) != len(labels) or len(extra_t) != len(extra_l):
        raise InvalidInput(
            "texts and labels (and eval_texts and eval_labels) must have the same length.",
            hint="Pass one label per text.",
        )
    raw = [*labels, *extra_l]
    keep = np.array([v is not None and v == v and str(v) != "" for v in raw], dtype=bool)
    warnings = [] if keep.all() else [f"{int((~keep).sum())} rows without a label were skipped."]
    names = [str(v) for v, k in zip(raw, keep, strict=True) if k]
    classes = sorted(set(names))
    if len(classes) < 2:
        raise ModelError(
            f"Training needs at least 2 classes; the labels hold {len(classes)}.",
            hint="Check the label column: a classifier needs examples of several labels.",
        )
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[v] for v in names], dtype=np.int64)
    cleaned = _clean([*texts, *extra_t])
    kept = [t for t, k in zip(cleaned, keep, strict=True) if k]
    positions = np.flatnonzero(keep)
    if eval_texts is not None:
        is_train = positions < len(texts)
        train, held = np.flatnonzero(is_train), np.flatnonzero(~is_train)
    elif p.eval_fraction == 0:
        train, held = np.arange(len(y)), np.zeros(0, dtype=np.int64)
    else:
        train, held = _holdout(y, classes, p.eval_fraction, p.seed, warnings)
    return _Rows(kept, y, classes, train, held, positions, warnings)


def _bases(p: AutoParams, rows: _Rows, has_embed: bool) -> list[str]:
    """The base models to cross-fit (the many-class and few-row rule is in the package doc)."""
    if p.model in ("linear", "lightgbm", "embeddings"):
        if p.model == "embeddings" and not has_embed:
            raise InvalidInput(
                "model='embeddings' needs sentence embeddings.",
                hint="Pass embed=<callable returning L2-normalised rows>.",
            )
        return [p.model]
    out = ["linear"]
    few_classes = len(rows.labels) <= p.gbm_max_classes
    if few_classes and len(rows.train) >= p.gbm_min_rows:
        out.append("lightgbm")
    else:
        rows.warnings.append(
            f"LightGBM left out: {len(rows.labels)} classes (most {p.gbm_max_classes}), "
            f"{len(rows.train)} training rows (least {p.gbm_min_rows})."
        )
    if has_embed:
        out.append("embeddings")
    return out


def _inputs(
    rows: _Rows, bases: list[str], p: AutoParams, embed: Embed | None
) -> tuple[Any, np.ndarray | None]:
    """Text features (vocabulary from the training rows) and embeddings of every labelled row."""
    x = None
    if {"linear", "lightgbm"} & set(bases):
        vectorizer, x_train = fit_features([rows.texts[i] for i in rows.train])
        x_eval = transform(vectorizer, [rows.texts[i] for i in rows.eval])
        x = _by_position(x_train, x_eval, rows)
    emb = None
    if embed is not None and "embeddings" in bases:
        emb = chunked(embed, window=p.window_words, max_chunks=p.max_chunks)(rows.texts)
    return x, emb


def _by_position(x_train: Any, x_eval: Any, rows: _Rows) -> Any:
    """One matrix whose row i belongs to labelled row i."""
    import scipy.sparse as sp

    stacked = sp.vstack([x_train, x_eval], format="csr")
    order = np.empty(len(rows.texts), dtype=np.int64)
    order[np.concatenate([rows.train, rows.eval])] = np.arange(len(rows.texts))
    return stacked[order]


def _candidates(
    fits: dict[str, CrossFit], rows: _Rows, fold: np.ndarray, n: int, p: AutoParams
) -> tuple[dict[str, np.ndarray], Blend | None]:
    """Held-out probabilities (training rows, then eval rows) of each candidate."""
    out = {name: np.vstack([f.proba(f.oof), f.proba(f.eval_scores)]) for name, f in fits.items()}
    if len(fits) < 2 or p.model not in ("auto", "stack"):
        return out, None
    y_tr = rows.y[rows.train]
    z_tr = meta_features([f.proba(f.oof) for f in fits.values()])
    z_ev = meta_features([f.proba(f.eval_scores) for f in fits.values()])
    meta = Blend.fit(z_tr, y_tr, n)
    out["stack"] = np.vstack([meta_oof(z_tr, y_tr, fold, n), softmax(meta.scores(z_ev))])
    return out, meta


def _leaderboard(
    heldout: dict[str, np.ndarray], fits: dict[str, CrossFit], rows: _Rows
) -> list[dict[str, Any]]:
    """Each candidate on the held-out rows (out-of-fold training rows, then the eval rows)."""
    y_all = rows.y[np.concatenate([rows.train, rows.eval])]
    n_train, n = len(rows.train), len(rows.labels)
    board = []
    for name, proba in heldout.items():
        alpha, macro_f1 = fit_alpha(proba, y_all, n)
        pred = decide(proba, prior_offsets(y_all, n, alpha))
        seconds = sum(f.seconds for f in fits.values()) if name == "stack" else fits[name].seconds
        ev = _evaluate(rows, y_all[n_train:], pred[n_train:])
        board.append(
            {
                "model": name,
                "macro_f1": macro_f1,
                "accuracy": float(np.mean(pred == y_all)),
                "log_loss": log_loss(proba, y_all),
                "eval_macro_f1": ev["macro_f1"],
                "prior_alpha": alpha,
                "train_seconds": round(seconds, 3),
            }
        )
    return board


def _evaluate(
    rows: _Rows, y: np.ndarray, pred: np.ndarray, proba: np.ndarray | None = None
) -> dict[str, Any]:
    return metrics.evaluate(
        actual=[rows.labels[i] for i in y],
        predicted=[rows.labels[i] for i in pred],
        labels=rows.labels,
        probabilities=proba,
    )


def _refit(
    rows: _Rows, used: list[str], fits: dict[str, CrossFit], p: AutoParams, emb: Any
) -> tuple[dict[str, Any], Any]:
    """The chosen base models again on every labelled row, with the settings cross-fit chose."""
    n, y = len(rows.labels), rows.y
    vectorizer, x = None, None
    if {"linear", "lightgbm"} & set(used):
        vectorizer, x = fit_features(rows.texts)
    scorers: dict[str, Any] = {}
    for name in used:
        if name == "lightgbm":
            scorers[name] = GbmScorer.fit(
                x,
                y,
                n_labels=n,
                features=p.gbm_features,
                rounds=fits[name].setting["rounds"],
                seed=p.seed,
                threads=p.num_threads,
            )
            continue
        data = emb if name == "embeddings" else x
        c = fits[name].setting["c"]
        scorers[name] = LinearScorer.fit(data, y, kind=KIND[name], c=c, n_labels=n)
    return scorers, vectorizer


def _report(
    rows: _Rows,
    leaderboard: list[dict[str, Any]],
    chosen: str,
    raw: np.ndarray,
    proba: np.ndarray,
    y_all: np.ndarray,
    fits: dict[str, CrossFit],
    offsets: np.ndarray,
) -> dict[str, Any]:
    n_train = len(rows.train)
    # the eval split, or (without one) the out-of-fold predictions of every row
    start = n_train if len(rows.eval) else 0
    pred = decide(proba, offsets)
    return {
        "chosen": chosen,
        "leaderboard": leaderboard,
        "eval": _evaluate(rows, y_all[start:], pred[start:], proba[start:]),
        "eval_rows": "eval split" if start else "out-of-fold predictions of every row",
        "calibration": {
            "ece_before": expected_calibration_error(raw, y_all),
            "ece": expected_calibration_error(proba, y_all),
            "reliability": reliability_table(proba, y_all),
            "rows": "out-of-fold training rows and eval rows",
        },
        "settings": {name: f.setting for name, f in fits.items()},
        "rows": {"train": n_train, "eval": len(rows.eval), "refit": len(rows.y)},
        "warnings": rows.warnings,
    }
