"""Issue 14's benchmark: binnr's ``auto`` classifier against strong simple baselines (a script).

Per dataset (``bench/quality_data.py``: fixed stratified 80/20 split, seed 0) and training size
(``--sizes``: 200, 1000 and ``full`` rows drawn from the training part, sizes below full drawn
``--draws`` times with seeds 0, 1, …, reported per draw and as their mean; same test rows): binnr
``auto`` and each forced model (``linear``, ``lightgbm``, ``embeddings``, ``stack``), baselines
TF-IDF (word 1–2 + char_wb 2–5, sublinear) + LogisticRegression, the same + LinearSVC, a
logistic probe on the same (chunk-pooled) embeddings, and the majority class. Prints macro-F1
and accuracy, ``auto ÷ best baseline`` (target ≥ 1.02), ``auto`` train seconds with embeddings
cached ÷ LogReg's (target ≤ 5; first-time embedding shown apart), predict rows/s of the
text-only models (best of 3 interleaved rounds, wall and per CPU second; target ≥ 100k), the
test ECE of ``auto`` (target ≤ 0.05) with one reliability table, and label-issue precision
(5% of training labels flipped on tweets and airline; share of flipped rows among the top 5%
flagged; target ≥ 0.5; with how many of the rest the unflipped model already flagged: the
data's own label errors), plus a few of what is flagged on bbc. Where ``auto`` chose the stack,
the ``stack`` row is that same model (same seed, identical), not a second training.

    PYTHONPATH=src python bench/quality.py [--datasets tweets bbc] [--sizes 200 full] [--quick]
    PYTHONPATH=src python bench/quality.py --speed-only --datasets tweets airline
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

# before any OpenMP runtime loads (scikit-learn loads one): spinning OpenMP threads make
# 2-thread LightGBM many times slower on a shared machine (see binnr.models.gbm)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.svm import LinearSVC

from binnr.models.calibration import expected_calibration_error, reliability_table
from binnr.models.ensemble import AutoParams, train_auto
from binnr.models.ensemble.chunking import chunked
from quality_data import DATASETS, CachedEmbedder, Split, load, split, subsample

FORCED = ("linear", "lightgbm", "embeddings", "stack")
BASELINES = ("tfidf_logreg", "tfidf_svc", "emb_logreg", "majority")


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def baseline(
    kind: str, s: Split, embed: Callable[..., np.ndarray]
) -> tuple[list[str], float, float]:
    def fit_predict() -> list[str]:
        if kind == "majority":
            values, counts = np.unique(s.train_labels, return_counts=True)
            return [str(values[counts.argmax()])] * len(s.test_labels)
        if kind == "emb_logreg":
            x, xt = embed(s.train_texts), embed(s.test_texts)
            return list(LogisticRegression(max_iter=1000).fit(x, s.train_labels).predict(xt))
        vecs = [
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
        ]
        x = sp.hstack([v.fit_transform(s.train_texts) for v in vecs]).tocsr()
        xt = sp.hstack([v.transform(s.test_texts) for v in vecs]).tocsr()
        clf = LogisticRegression(max_iter=1000) if kind == "tfidf_logreg" else LinearSVC()
        return list(clf.fit(x, s.train_labels).predict(xt))

    return timed(fit_predict)  # type: ignore[no-any-return]


def score(s: Split, predicted: list[str]) -> tuple[float, float]:
    f1 = f1_score(s.test_labels, predicted, average="macro", zero_division=0)
    return float(f1), float(accuracy_score(s.test_labels, predicted))


def speed(models: dict[str, Any], texts: list[str], rows: int) -> dict[str, tuple[float, float]]:
    """Best rows/s (wall, per CPU second) of each model over 3 interleaved rounds."""
    big = (texts * (rows // max(len(texts), 1) + 1))[:rows]
    best: dict[str, tuple[float, float]] = {}
    for _ in range(3):
        for name, model in models.items():
            _, wall, cpu = timed(lambda m=model: m.predict_proba(big))
            w, c = best.get(name, (0.0, 0.0))
            best[name] = (max(w, rows / wall), max(c, rows / max(cpu, 1e-9)))
    return best


def run_size(
    name: str, s: Split, size: str, embed: CachedEmbedder, a: argparse.Namespace, draw: int = 0
) -> dict:
    pooled = chunked(embed)
    out: dict[str, Any] = {"dataset": name, "size": size, "rows": len(s.train_labels)}
    out["draw"] = draw if size != "full" else None
    results: dict[str, tuple[float, float]] = {}
    times: dict[str, float] = {}
    cpu: dict[str, float] = {}  # CPU seconds: steadier than wall on a shared machine
    for kind in BASELINES:
        predicted, times[kind], cpu[kind] = baseline(kind, s, pooled)
        results[kind] = score(s, predicted)
    models: dict[str, Any] = {}
    for model in ("auto", *FORCED):
        if model == "stack" and models["auto"].chosen == "stack":
            models["stack"], times["stack"], cpu["stack"] = (
                models["auto"],
                times["auto"],
                cpu["auto"],
            )
        else:
            params = AutoParams(model=model)  # type: ignore[arg-type]
            models[model], times[model], cpu[model] = timed(
                lambda p=params: train_auto(s.train_texts, s.train_labels, params=p, embed=embed)
            )
        proba = models[model].predict_proba(s.test_texts)
        results[model] = score(s, models[model].decide(proba))
        if model == "auto":
            y = np.array([models[model].labels.index(t) for t in s.test_labels])
            out["ece"] = expected_calibration_error(proba, y)
            out["reliability"] = reliability_table(proba, y)
    out |= {"results": results, "times": times, "cpu": cpu, "chosen": models["auto"].chosen}
    if size == "full":
        text_only = {m: models[m] for m in ("linear", "lightgbm")}
        out["speed"] = speed(text_only, s.test_texts, a.predict_rows)
        out["auto_model"] = models["auto"]
    print_size(out)
    return out


def print_size(o: dict[str, Any]) -> None:
    r, t = o["results"], o["times"]
    best = max(BASELINES, key=lambda k: r[k][0])
    ratio, slow = _ratio(o), t["auto"] / t["tfidf_logreg"]
    slow_cpu = o["cpu"]["auto"] / max(o["cpu"]["tfidf_logreg"], 1e-9)
    draw = "" if o["draw"] is None else f" · draw {o['draw'] + 1}"
    print(
        f"\n== {o['dataset']} · {o['size']}{draw} ({o['rows']} training rows) · "
        f"auto chose {o['chosen']}"
    )
    for m in ("auto", *FORCED, *BASELINES):
        print(f"  {m:13s} macro-F1 {r[m][0]:.4f}  acc {r[m][1]:.4f}  train {t[m]:7.1f}s")
    print(
        f"  auto ÷ best baseline ({best}) = {ratio:.3f}  target ≥ 1.02  "
        f"{'ok' if ratio >= 1.02 else 'MISSED'}"
    )
    print(
        f"  auto train ÷ LogReg train = {slow:.2f} wall, {slow_cpu:.2f} CPU s  target ≤ 5  "
        f"{'ok' if max(slow, slow_cpu) <= 5 else 'MISSED'}"
    )
    print(
        f"  auto test ECE = {o['ece']:.4f}  target ≤ 0.05  {'ok' if o['ece'] <= 0.05 else 'MISSED'}"
    )
    print_speed(o.get("speed", {}))


def flip_precision(
    name: str, s: Split, embed: CachedEmbedder, unflipped: Any, seed: int = 1
) -> float:
    """Flip 5% of the training labels; the share of flipped rows in the top 5% flagged.

    Also what the rest of the top 5% is: rows that ``unflipped`` (the same model trained on the
    labels as given) already flagged are the data's own label errors, which this figure counts
    as misses."""
    rng = np.random.default_rng(seed)
    labels = list(s.train_labels)
    classes = sorted(set(labels))
    flipped = rng.choice(len(labels), size=round(0.05 * len(labels)), replace=False)
    for i in flipped:
        labels[i] = str(rng.choice([c for c in classes if c != labels[i]]))
    model = train_auto(s.train_texts, labels, embed=embed)
    issues = model.label_issues(limit=len(flipped))
    hits = len(set(flipped.tolist()) & {i.index for i in issues})
    precision = hits / max(len(issues), 1)
    print(
        f"  label issues on {name}: {len(issues)} flagged of {len(flipped)} flipped, precision "
        f"{precision:.3f}  target ≥ 0.5  {'ok' if precision >= 0.5 else 'MISSED'}"
    )
    before = {i.index for i in unflipped.label_issues()}
    top = {i.index for i in issues}
    natural = len((top - set(flipped.tolist())) & before)
    print(
        f"    without any flip {len(before)} rows ({len(before) / len(labels):.1%}) are flagged "
        f"already; of the {len(top)} above, {hits} are flipped, {natural} others were flagged "
        f"before flipping (the data's own label errors), {len(top) - hits - natural} neither"
    )
    return precision


def first_time_embedding(embed: CachedEmbedder, texts: list[str]) -> None:
    """Uncached encoder speed on a sample, and what embedding ``texts`` once would take."""
    sample = texts[:1000]
    _, wall, _ = timed(lambda: embed.model.embed(sample))
    print(
        f"  first-time embedding: {len(sample) / wall:.0f} texts/s uncached → about "
        f"{len(texts) * wall / len(sample):.0f}s for {len(texts)} texts (not in train times)"
    )


def main() -> None:
    # binnr trains with one BLAS thread (binnr.models.ensemble.training); the baselines get the
    # same, or OpenBLAS threads fighting over a shared machine would slow them instead of binnr
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        _main()


def _main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--datasets", nargs="+", choices=list(DATASETS), default=list(DATASETS))
    parser.add_argument("--sizes", nargs="+", default=["200", "1000", "full"])
    parser.add_argument("--quick", action="store_true", help="200 rows on tweets and bbc only")
    parser.add_argument(
        "--draws",
        type=int,
        default=3,
        help="training subsets drawn for each size below full (seeds 0, 1, …; the summary gives "
        "each and their mean)",
    )
    parser.add_argument("--predict-rows", type=int, default=100_000)
    parser.add_argument(
        "--speed-only",
        action="store_true",
        help="only the predict speed of the text-only models trained on each dataset's full "
        "training rows (to re-measure on a quiet machine)",
    )
    a = parser.parse_args()
    if a.quick:
        a.datasets, a.sizes, a.predict_rows = ["tweets", "bbc"], ["200"], 10_000
    embed = CachedEmbedder()
    if a.speed_only:
        for name in a.datasets:
            speed_only(name, split(*load(name)), a.predict_rows)
        return
    runs = []
    for name in a.datasets:
        s = split(*load(name))
        for size in a.sizes:
            if size == "full":
                runs.append(run_size(name, s, size, embed, a))
                continue
            for draw in range(a.draws):  # a few hundred rows: one draw alone is a coin toss
                sub = subsample(s, int(size), seed=draw)
                runs.append(run_size(name, sub, size, embed, a, draw))
        if "full" in a.sizes:
            first_time_embedding(embed, s.train_texts)
            if name in ("tweets", "airline"):
                flip_precision(name, s, embed, runs[-1]["auto_model"])
            if name == "bbc":
                print_bbc_flags(runs[-1]["auto_model"], s)
    summary(runs)


def speed_only(name: str, s: Split, rows: int) -> None:
    models = {
        m: train_auto(s.train_texts, s.train_labels, params=AutoParams(model=m))  # type: ignore[arg-type]
        for m in ("linear", "lightgbm")
    }
    print(f"\n== {name}: predict speed, {rows} rows")
    print_speed(speed(models, s.test_texts, rows))


def print_speed(found: dict[str, tuple[float, float]]) -> None:
    for m, (w, c) in found.items():
        mark = "ok" if w >= 100_000 else "MISSED"
        print(f"  predict {m:9s} {w:9.0f} rows/s  {c:9.0f} rows/cpu-s  target ≥ 100k  {mark}")


def print_bbc_flags(model: Any, s: Split) -> None:
    print("  bbc: a few rows the auto model flags as probably mislabelled:")
    for issue in model.label_issues(limit=6):
        text = " ".join(s.train_texts[issue.index].split())[:90]
        print(
            f"    #{issue.rank} given {issue.given!r} → {issue.suggested!r} "
            f"(quality {issue.quality:.3f}): {text}"
        )


def _ratio(o: dict[str, Any]) -> float:
    r = o["results"]
    return float(r["auto"][0] / max(max(r[k][0] for k in BASELINES), 1e-9))


def _draw(o: dict[str, Any]) -> str:
    return "    " if o["draw"] is None else f" d{o['draw'] + 1} "


def draws(runs: list[dict[str, Any]]) -> None:
    """Each size below full over its draws: the mean with the targets, and the range."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for o in runs:
        if o["draw"] is not None:
            groups.setdefault((o["dataset"], o["size"]), []).append(o)
    if not any(len(g) > 1 for g in groups.values()):
        return
    print("\n== sizes below full, over their draws: mean (min–max)")
    for (dataset, size), group in groups.items():
        ratio = [_ratio(o) for o in group]
        ece = [o["ece"] for o in group]
        print(
            f"  {dataset:15s} {size:>5s}  {len(group)} draws  ratio {np.mean(ratio):.3f} "
            f"({min(ratio):.3f}–{max(ratio):.3f}) target ≥ 1.02 "
            f"{'ok' if np.mean(ratio) >= 1.02 else 'MISSED'}  ECE {np.mean(ece):.4f} "
            f"({min(ece):.4f}–{max(ece):.4f}) target ≤ 0.05 "
            f"{'ok' if np.mean(ece) <= 0.05 else 'MISSED'}"
        )


def summary(runs: list[dict[str, Any]]) -> None:
    print("\n== summary: auto macro-F1 ÷ best baseline (target ≥ 1.02), test ECE (≤ 0.05)")
    for o in runs:
        r = o["results"]
        best = max(r[k][0] for k in BASELINES)
        print(
            f"  {o['dataset']:15s} {o['size']:>5s}{_draw(o)}  auto {r['auto'][0]:.4f}  best "
            f"{best:.4f}  ratio {_ratio(o):.3f}  ECE {o['ece']:.4f}  "
            f"train÷LogReg {o['times']['auto'] / o['times']['tfidf_logreg']:.2f} wall "
            f"{o['cpu']['auto'] / max(o['cpu']['tfidf_logreg'], 1e-9):.2f} CPU"
        )
    draws(runs)
    full = [o for o in runs if o["size"] == "full"]
    if full:
        print(f"\n== reliability of auto on the {full[0]['dataset']} test split (full training)")
        print("  bin          rows  confidence  accuracy")
        for b in full[0]["reliability"]:
            print(
                f"  {b['low']:.1f}–{b['high']:.1f}  {b['count']:7d}  {b['confidence']:10.3f}  "
                f"{b['accuracy']:8.3f}"
            )


if __name__ == "__main__":
    main()
