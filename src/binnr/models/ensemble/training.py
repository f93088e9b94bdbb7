""":func:`train_auto`: cross-fit the base models, stack them, choose, calibrate, refit."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from binnr.models import metrics
from binnr.models.calibration import (
    Temperature,
    expected_calibration_error,
    log_loss,
    reliability_table,
)
from binnr.models.ensemble.bases import TRAIN_THREADS, GbmScorer, LinearScorer
from binnr.models.ensemble.chunking import Embed
from binnr.models.ensemble.crossfit import KIND, CrossFit, cross_fit
from binnr.models.ensemble.decision import decide, difference_se, fit_alpha, prior_offsets
from binnr.models.ensemble.features import fit_features
from binnr.models.ensemble.model import AutoModel
from binnr.models.ensemble.params import AutoParams
from binnr.models.ensemble.pooling import candidates, final_temperature, fold_plans
from binnr.models.ensemble.rows import Rows, choose_bases, inputs, labelled_rows, parse_params
from binnr.progress import NullProgress, Progress


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
    # one BLAS thread: the dense fits are small, and OpenBLAS threads spinning against other
    # work on a shared 2-core machine made the embeddings probe 10x slower (measured)
    with threadpool_limits(limits=1, user_api="blas"):
        return _train(texts, labels, params, embed, eval_texts, eval_labels, progress)


def _train(
    texts: Sequence[str | None],
    labels: Sequence[str | None],
    params: AutoParams | dict[str, Any] | None,
    embed: Embed | None,
    eval_texts: Sequence[str | None] | None,
    eval_labels: Sequence[str | None] | None,
    progress: Progress | None,
) -> AutoModel:
    p, prog, started = parse_params(params), progress or NullProgress(), time.perf_counter()
    rows = labelled_rows(texts, labels, eval_texts, eval_labels, p)
    bases = choose_bases(p, rows, embed is not None)
    total = len(bases) + 3
    prog.phase("features", index=1, total=total)
    vectorizer, x, emb = inputs(rows, bases, p, embed)
    folds = fold_plans(rows.y[rows.train], p.folds, p)
    fits = _cross_fit_all(bases, x, emb, rows, folds, p, prog)
    prog.phase("stack", index=total - 1, total=total)
    heldout, more, meta = candidates(fits, rows.y[rows.train], folds, len(rows.labels), p)
    leaderboard = _leaderboard(heldout, fits, rows)
    order = np.concatenate([rows.train, rows.eval])
    y_all = rows.y[order]
    chosen = p.model if p.model in heldout else _choose(leaderboard, heldout, y_all)
    temperature = Temperature()
    if p.calibrate:
        temperature = final_temperature(heldout[chosen], more[chosen], y_all, len(rows.train))
    proba = temperature.apply(heldout[chosen])
    prog.phase("refit", index=total, total=total)
    used = bases if chosen == "stack" else [chosen]
    # without an eval split the cross-fitted rows are all rows: their features serve the refit
    ready = (vectorizer, x) if len(rows.eval) == 0 else None
    scorers, vectorizer = _refit(rows, used, fits, p, emb, ready)
    alpha = next(e["prior_alpha"] for e in leaderboard if e["model"] == chosen)
    offsets = prior_offsets(y_all, len(rows.labels), alpha)
    report = _report(rows, leaderboard, chosen, heldout[chosen], proba, y_all, fits, offsets)
    report |= {"temperature": temperature.value, "train_seconds": time.perf_counter() - started}
    report["calibration"]["cross_fits"] = len(folds)
    return AutoModel(
        labels=rows.labels,
        params=p,
        chosen=chosen,
        scorers=scorers,
        temperatures={b: fits[b].temperature.value for b in used} | {"final": temperature.value},
        meta=meta if chosen == "stack" else None,
        vectorizer=vectorizer,
        info={"report": report, "decision_offsets": offsets.tolist()},
        heldout={"proba": proba, "y": y_all, "rows": rows.positions[order]} | _bases(heldout, fits),
        embed=embed,
    )


def _bases(heldout: dict[str, np.ndarray], fits: dict[str, CrossFit]) -> dict[str, np.ndarray]:
    """Every cross-fitted base's held-out probabilities (rows × bases × labels), whichever model
    was chosen: label issues re-stack them (:mod:`.restack`). Nothing with a single base."""
    if len(fits) < 2:
        return {}
    return {"bases": np.stack([heldout[b] for b in fits], axis=1).astype(np.float32)}


def _cross_fit_all(
    bases: list[str],
    x: Any,
    emb: np.ndarray | None,
    rows: Rows,
    folds: list[np.ndarray],
    p: AutoParams,
    prog: Progress,
) -> dict[str, CrossFit]:
    fits = {}
    for i, name in enumerate(bases):
        prog.phase(name, index=i + 2, total=len(bases) + 3)
        data = emb if name == "embeddings" else x
        assert data is not None
        train, held = data[rows.train], data[rows.eval]
        y, n = rows.y[rows.train], len(rows.labels)
        plan = fold_plans(y, p.gbm_folds, p) if name == "lightgbm" else folds
        fits[name] = cross_fit(name, train, y, held, plan, p, n, prog.check_cancelled)
    return fits


def _rank(entry: dict[str, Any]) -> tuple[float, float]:
    return (entry["macro_f1"], -(entry["log_loss"] or 0.0))


def _choose(
    leaderboard: list[dict[str, Any]], heldout: dict[str, np.ndarray], y: np.ndarray
) -> str:
    """The best held-out macro-F1, except that the stack stays unless a single base model
    beats it by more than the bootstrap standard error of the difference.

    On a few hundred rows macro-F1 differences of a point or two are noise, and the stack
    (which averages its bases) is the safer bet out of sample: it was the better one in most
    of the bench's runs where a single model had edged it out on held-out rows.
    """
    best = max(leaderboard, key=_rank)
    stack = next((e for e in leaderboard if e["model"] == "stack"), None)
    if stack is None or best is stack:
        return str(best["model"])
    n = heldout["stack"].shape[1]
    pred = {
        e["model"]: decide(heldout[e["model"]], prior_offsets(y, n, e["prior_alpha"]))
        for e in (best, stack)
    }
    margin = difference_se(y, pred[best["model"]], pred["stack"], n)
    return str(best["model"]) if best["macro_f1"] - stack["macro_f1"] > margin else "stack"


def _leaderboard(
    heldout: dict[str, np.ndarray], fits: dict[str, CrossFit], rows: Rows
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
    rows: Rows, y: np.ndarray, pred: np.ndarray, proba: np.ndarray | None = None
) -> dict[str, Any]:
    return metrics.evaluate(
        actual=[rows.labels[i] for i in y],
        predicted=[rows.labels[i] for i in pred],
        labels=rows.labels,
        probabilities=proba,
    )


def _refit(
    rows: Rows,
    used: list[str],
    fits: dict[str, CrossFit],
    p: AutoParams,
    emb: Any,
    ready: tuple[Any, Any] | None,
) -> tuple[dict[str, Any], Any]:
    """The chosen base models again on every labelled row, with the settings cross-fit chose."""
    n, y = len(rows.labels), rows.y
    vectorizer, x = None, None
    if {"linear", "lightgbm"} & set(used):
        vectorizer, x = ready if ready is not None else fit_features(rows.texts)
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
                threads=TRAIN_THREADS,
            )
            continue
        data = emb if name == "embeddings" else x
        c = fits[name].setting["c"]
        scorers[name] = LinearScorer.fit(data, y, kind=KIND[name], c=c, n_labels=n)
    return scorers, vectorizer


def _report(
    rows: Rows,
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
