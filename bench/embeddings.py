"""Benchmark binnr's embedding provider and clustering on the shared CSVs (a script, not a test).

(a) Speed: binnr's local provider against plain sentence-transformers (PyTorch) on the same
    model, texts (``--speed-rows`` tweets) and thread count, interleaved ``--rounds`` times;
    best sentences/s of each, sentences per CPU-second, the ratio (target >= 2.5), and the
    accuracy of a logistic-regression probe on the same 80/20 split with either embedding
    (target: drop < 0.5 point).
(b) Clustering: accuracy on hidden labels of ``algorithm="pinned"`` (default) against
    ``"seed"`` (the original) on tweets, airline and text emotion (target >= 1.05), averaged
    over ``--repeats`` splits: per split, ``--unlabelled`` of the rows lose their label and
    :func:`hidden_split` hides 10% of the rest, which are scored.
(c) The same hidden rows scored by a logistic-regression probe trained on the labelled rows.

Embeddings are cached as .npy under ``--cache`` between runs. Wall-clock figures are noisy on a
shared machine; sentences per CPU-second (all threads) much less so.

    python bench/embeddings.py [--datasets tweets airline emotion] [--limit 6000]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

# as binnr.models.gbm does for the whole process: passive OpenMP threads on a shared machine
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from binnr.models.cluster import cluster, hidden_split
from binnr.models.embeddings.base import bundled_model_dir
from binnr.models.embeddings.local import LocalEmbedder, load_local
from binnr.models.embeddings.runners import cpu_threads

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DATASETS = {  # name: (file, source columns joined with " : " as binnr does, target column)
    "tweets": ("tweet_sentiment_extraction_train.csv", ["text"], "sentiment"),
    "airline": ("airline_tweets.csv", ["airline", "text"], "airline_sentiment"),
    "emotion": ("text_emotion.csv", ["author", "content"], "sentiment"),
}


def load(name: str, limit: int) -> tuple[list[str], np.ndarray, list[str]]:
    """(texts, class index per row, class names): a fixed random sample of ``limit`` rows."""
    file, sources, target = DATASETS[name]
    df = pd.read_csv(DATA / file, dtype=str, keep_default_na=False)
    df = df[df[target] != ""]
    df = df.sample(n=min(limit, len(df)), random_state=0)
    texts = [" : ".join(values) for values in df[sources].itertuples(index=False, name=None)]
    classes = sorted(df[target].unique())
    index = {c: i for i, c in enumerate(classes)}
    return texts, np.array([index[v] for v in df[target]]), classes


def timed(fn: Callable[[], np.ndarray], n: int) -> tuple[np.ndarray, float, float]:
    """(result, sentences per wall second, sentences per CPU second)."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, n / (time.perf_counter() - wall), n / max(time.process_time() - cpu, 1e-9)


def probe_accuracy(x: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray) -> float:
    clf = LogisticRegression(max_iter=3000).fit(x[train], y[train])
    return float(np.mean(clf.predict(x[test]) == y[test]))


def speed(embedder: LocalEmbedder, texts: Sequence[str], y: np.ndarray, rounds: int) -> None:
    import torch
    from sentence_transformers import SentenceTransformer

    threads = cpu_threads()
    torch.set_num_threads(threads)
    st = SentenceTransformer(str(bundled_model_dir()), device="cpu")
    st_embed = lambda: np.asarray(  # noqa: E731
        st.encode(list(texts), batch_size=embedder.batch_size, normalize_embeddings=True)
    )
    embedder.embed(texts[:200]), st.encode(list(texts[:200]))  # warm-up both
    best = {"binnr": (0.0, 0.0), "st": (0.0, 0.0)}
    outs: dict[str, np.ndarray] = {}
    for r in range(rounds):
        for name, fn in (("st", st_embed), ("binnr", lambda: embedder.embed(texts))):
            outs[name], wall, cpu = timed(fn, len(texts))
            best[name] = (max(best[name][0], wall), max(best[name][1], cpu))
            print(f"  round {r + 1} {name:5s}: {wall:6.0f} sentences/s, {cpu:6.0f} /cpu-s")
    cosine = np.sum(outs["binnr"] * outs["st"], axis=1)
    idx = np.arange(len(texts))
    train, test = train_test_split(idx, test_size=0.2, random_state=0, stratify=y)
    acc = {name: probe_accuracy(outs[name], y, train, test) for name in outs}
    print(
        f"(a) speed on {len(texts)} tweets, {threads} threads, batch {embedder.batch_size}, "
        f"binnr backend: {embedder.loaded.runner.detail}"
    )
    print(f"  sentence-transformers: {best['st'][0]:6.0f} sentences/s  {best['st'][1]:6.0f} /cpu-s")
    print(
        f"  binnr                : {best['binnr'][0]:6.0f} sentences/s  "
        f"{best['binnr'][1]:6.0f} /cpu-s"
    )
    ratio_wall, ratio_cpu = best["binnr"][0] / best["st"][0], best["binnr"][1] / best["st"][1]
    print(f"  ratio (best wall) {ratio_wall:.2f}x, ratio (cpu) {ratio_cpu:.2f}x  [target >= 2.5]")
    print(f"  cosine to sentence-transformers: min {cosine.min():.5f}, mean {cosine.mean():.6f}")
    drop = 100 * (acc["st"] - acc["binnr"])
    print(
        f"  probe accuracy: st {acc['st']:.4f}, binnr {acc['binnr']:.4f}, "
        f"drop {drop:+.2f} points  [target < 0.5]"
    )


def cached_embeddings(
    embedder: LocalEmbedder, texts: list[str], cache: Path, key: str
) -> np.ndarray:
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:12]
    path = cache / f"{key}-{embedder.name}-{embedder.backend}-{digest}.npy"
    if path.is_file():
        return np.load(path)
    out = embedder.embed(texts)
    np.save(path, out)
    return out


def clustering(name: str, x: np.ndarray, y: np.ndarray, args: argparse.Namespace) -> None:
    scores: dict[str, list[float]] = {"pinned": [], "seed": [], "probe": []}
    for rep in range(args.repeats):
        rng = np.random.default_rng(rep)
        targets = np.where(rng.random(y.size) < args.unlabelled, -1, y)
        hidden = hidden_split(targets, fraction=0.1, seed=rep)
        shown = np.where(hidden, -1, targets)
        for algorithm in ("pinned", "seed"):
            result = cluster(
                embeddings=x,
                targets=shown,
                n_classes=int(y.max()) + 1,
                number_of_iterations=args.iterations,
                algorithm=algorithm,  # type: ignore[arg-type]
                seed=rep,
            )
            scores[algorithm].append(float(np.mean(result.predicted[hidden] == y[hidden])))
        labelled = np.flatnonzero(shown >= 0)
        scores["probe"].append(probe_accuracy(x, y, labelled, np.flatnonzero(hidden)))
    mean = {k: float(np.mean(v)) for k, v in scores.items()}
    print(
        f"  {name:8s} rows {len(y):5d} hidden {int(hidden.sum()):4d}  "
        f"pinned {mean['pinned']:.4f}  seed {mean['seed']:.4f}  probe {mean['probe']:.4f}  "
        f"pinned/seed {mean['pinned'] / mean['seed']:.3f}  "
        f"pinned/probe {mean['pinned'] / mean['probe']:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--limit", type=int, default=6000, help="rows per dataset")
    parser.add_argument("--speed-rows", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=2, help="interleaved speed rounds")
    parser.add_argument("--repeats", type=int, default=3, help="label splits per dataset")
    parser.add_argument("--unlabelled", type=float, default=0.2)
    parser.add_argument("--iterations", type=int, default=2)
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "binnr-bench")
    args = parser.parse_args()
    if not DATA.is_dir():
        raise SystemExit(f"{DATA} not found: the benchmark needs ../shared/data")
    args.cache.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    embedder = load_local(
        model="all-MiniLM-L6-v2", backend=args.backend, cache_dir=args.cache / "exports"
    )
    print(
        f"load: {time.perf_counter() - started:.1f}s ({embedder.loaded.runner.detail}), "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    if not args.skip_speed:
        texts, y, _ = load("tweets", args.speed_rows)
        speed(embedder, texts, y, args.rounds)
    print(
        f"(b)+(c) clustering accuracy on hidden labels, mean of {args.repeats} splits, "
        f"{args.unlabelled:.0%} unlabelled, {args.iterations} iterations  [target pinned/seed "
        ">= 1.05]"
    )
    for name in args.datasets:
        texts, y, _ = load(name, args.limit)
        x = cached_embeddings(embedder, texts, args.cache, f"{name}-{args.limit}")
        clustering(name, x, y, args)
    print(f"total {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
