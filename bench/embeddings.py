"""Benchmark binnr's embedding provider and clustering on the shared CSVs (a script, not a test).

(a) Speed: binnr's local provider, fp32 and int8 (``BINNR_EMBEDDING_PRECISION``), against plain
    sentence-transformers (PyTorch) on the same model, texts (``--speed-rows`` tweets) and
    thread count, interleaved ``--rounds`` times; best sentences/s of each, sentences per
    CPU-second (this process and its children), the ratios (targets: fp32 >= 2.5 wall, int8
    >= 3 per CPU-second), and the paired probe below against sentence-transformers' vectors.
(d) int8 against fp32 on ``--quality-datasets`` (tweets, text emotion, BBC news), up to
    ``--quality-rows`` rows each (a fixed random sample; BBC has 2,969). Texts are embedded as
    binnr's classifiers embed them (:func:`chunked`: a text over 160 words becomes up to 8
    windows of ~210 tokens, the encoder's full window, averaged). Mean, 1st percentile and min
    cosine per row (target mean >= 0.99), and the probe accuracy drop (target < 0.5 point).
    Probe protocol (bench/probe.py): logistic regression on both precisions' vectors over the
    *same* ``--folds``-fold stratified splits repeated ``--cv-repeats`` times (seed 0), so every
    row is tested once per repeat; the drop is the mean paired per-split difference, with a
    Nadeau-Bengio corrected standard error and its 95% upper bound. Classes with fewer rows
    than folds (BBC's three one-row case variants) are left out.
(b) Clustering: accuracy on hidden labels of ``algorithm="pinned"`` (default) against
    ``"seed"`` (the original) on tweets, airline and text emotion (target >= 1.05), averaged
    over ``--repeats`` splits: per split, ``--unlabelled`` of the rows lose their label and
    :func:`hidden_split` hides 10% of the rest, which are scored.
(c) The same hidden rows scored by a logistic-regression probe trained on the labelled rows.

Embeddings are cached as .npy under ``--cache`` between runs. Wall-clock figures are noisy on a
shared machine; sentences per CPU-second (all threads) much less so.

    python bench/embeddings.py [--datasets tweets airline emotion] [--limit 6000]
    python bench/embeddings.py --skip-clustering --rounds 3      # speed + int8 quality
    python bench/embeddings.py --skip-clustering --skip-speed     # int8 quality only
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

# as binnr.models.gbm does for the whole process: passive OpenMP threads on a shared machine
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import pandas as pd

from binnr.models.cluster import cluster, hidden_split
from binnr.models.embeddings.base import bundled_model_dir
from binnr.models.embeddings.local import LocalEmbedder, load_local
from binnr.models.embeddings.runners import cpu_threads
from binnr.models.ensemble.chunking import chunked
from binnr.settings import Settings
from probe import accuracy, paired_probe

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DATASETS = {  # name: (file, source columns joined with " : " as binnr does, target column)
    "tweets": ("tweet_sentiment_extraction_train.csv", ["text"], "sentiment"),
    "airline": ("airline_tweets.csv", ["airline", "text"], "airline_sentiment"),
    "emotion": ("text_emotion.csv", ["author", "content"], "sentiment"),
    "bbc": ("bbc_news_train.csv", ["Text"], "Category"),  # long articles and short headlines
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


def cpu_seconds() -> float:
    """CPU time of this process and its waited-for children (OpenVINO runs in-process)."""
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)


def timed(fn: Callable[[], np.ndarray], n: int) -> tuple[np.ndarray, float, float]:
    """(result, sentences per wall second, sentences per CPU second)."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    out = fn()
    return out, n / (time.perf_counter() - wall), n / max(cpu_seconds() - cpu, 1e-9)


def speed(
    embedders: dict[str, LocalEmbedder],
    texts: Sequence[str],
    y: np.ndarray,
    args: argparse.Namespace,
) -> None:
    import torch
    from sentence_transformers import SentenceTransformer

    threads = cpu_threads()
    torch.set_num_threads(threads)
    batch = next(iter(embedders.values())).batch_size
    st = SentenceTransformer(str(bundled_model_dir()), device="cpu")
    fns: dict[str, Callable[[], np.ndarray]] = {
        "st": lambda: np.asarray(
            st.encode(list(texts), batch_size=batch, normalize_embeddings=True)
        )
    }
    for name, embedder in embedders.items():
        fns[name] = partial(embedder.embed, texts)
    for fn in fns.values():
        fn()  # warm-up (first OpenVINO inferences, torch allocator)
    best = {name: (0.0, 0.0) for name in fns}
    outs: dict[str, np.ndarray] = {}
    rounds, folds, repeats = args.rounds, args.folds, args.cv_repeats
    for r in range(rounds):
        for name, fn in fns.items():
            outs[name], wall, cpu = timed(fn, len(texts))
            best[name] = (max(best[name][0], wall), max(best[name][1], cpu))
            print(f"  round {r + 1} {name:11s}: {wall:6.0f} sentences/s, {cpu:6.0f} /cpu-s")
    print(f"(a) speed on {len(texts)} tweets, {threads} threads, batch {batch}, best of {rounds}")
    for name, (wall, cpu) in best.items():
        detail = embedders[name].loaded.runner.detail if name in embedders else "torch"
        print(f"  {name:11s}: {wall:6.0f} sentences/s  {cpu:6.0f} /cpu-s   ({detail})")
    targets = {"binnr fp32": (2.5, "wall"), "binnr int8": (3.0, "cpu")}
    for name in embedders:
        wall, cpu = best[name][0] / best["st"][0], best[name][1] / best["st"][1]
        target, kind = targets.get(name, (0.0, "cpu"))
        print(
            f"  {name} / st: {wall:.2f}x best wall, {cpu:.2f}x per cpu-s  "
            f"[target {kind} >= {target}]"
        )
        cosine = np.sum(outs[name] * outs["st"], axis=1)
        paired = paired_probe(outs["st"], outs[name], y, folds=folds, repeats=repeats)
        print(f"    cosine to st: min {cosine.min():.5f}, mean {cosine.mean():.6f}")
        print(f"    {paired.describe(('st', name.split()[-1]))}  [target drop < 0.5]")


def quality(fp32: LocalEmbedder, int8: LocalEmbedder, args: argparse.Namespace) -> None:
    """int8 against fp32: cosine per row and the paired cross-validated probe (bench/probe.py).

    Texts go through :func:`chunked` as binnr's classifiers embed them: an article longer than
    160 words becomes up to 8 windows of ~210 tokens (the encoder's full window) whose vectors
    are averaged; shorter texts embed unchanged.
    """
    print(
        f"(d) int8 vs fp32, up to {args.quality_rows} rows per dataset, long texts chunked, "
        f"probe {args.folds}-fold x {args.cv_repeats} ({int8.loaded.runner.detail})"
    )
    for name in args.quality_datasets:
        texts, y, _ = load(name, args.quality_rows)
        key = f"{name}-{args.quality_rows}-chunked"
        x32 = cached_embeddings(fp32, texts, args.cache, key, chunk=True)
        x8 = cached_embeddings(int8, texts, args.cache, key, chunk=True)
        cosine = np.sum(x32 * x8, axis=1)
        paired = paired_probe(x32, x8, y, folds=args.folds, repeats=args.cv_repeats)
        print(
            f"  {name:8s} rows {len(y):5d}  cosine mean {cosine.mean():.5f} "
            f"p1 {np.percentile(cosine, 1):.4f} min {cosine.min():.4f} [target mean >= 0.99]\n"
            f"           {paired.describe()} [target drop < 0.5]"
        )


def cached_embeddings(
    embedder: LocalEmbedder, texts: list[str], cache: Path, key: str, *, chunk: bool = False
) -> np.ndarray:
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:12]
    export = embedder.loaded.export_path  # its folder names the exact graph (int8 included)
    tag = f"{embedder.name}-{embedder.backend}-{export.parent.name if export else 'torch'}"
    path = cache / f"{key}-{tag}-{digest}.npy"
    if path.is_file():
        return np.load(path)
    out = chunked(embedder.embed)(texts) if chunk else embedder.embed(texts)
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
        scores["probe"].append(accuracy(x, y, labelled, np.flatnonzero(hidden)))
    mean = {k: float(np.mean(v)) for k, v in scores.items()}
    print(
        f"  {name:8s} rows {len(y):5d} hidden {int(hidden.sum()):4d}  "
        f"pinned {mean['pinned']:.4f}  seed {mean['seed']:.4f}  probe {mean['probe']:.4f}  "
        f"pinned/seed {mean['pinned'] / mean['seed']:.3f}  "
        f"pinned/probe {mean['pinned'] / mean['probe']:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--datasets", nargs="+", default=["tweets", "airline", "emotion"], choices=list(DATASETS)
    )
    parser.add_argument(
        "--quality-datasets",
        nargs="+",
        default=["tweets", "emotion", "bbc"],
        choices=list(DATASETS),
    )
    parser.add_argument("--quality-rows", type=int, default=8000, help="rows per dataset for (d)")
    parser.add_argument("--folds", type=int, default=5, help="probe folds (bench/probe.py)")
    parser.add_argument("--cv-repeats", type=int, default=2, help="probe k-fold repeats")
    parser.add_argument("--skip-clustering", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
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
    embedders: dict[str, LocalEmbedder] = {}
    for precision in ("fp32", "int8"):
        began = time.perf_counter()
        embedders[f"binnr {precision}"] = embedder = load_local(
            model="all-MiniLM-L6-v2",
            backend=args.backend,
            cache_dir=args.cache / "exports",
            precision=precision,  # type: ignore[arg-type]
        )
        print(
            f"load {precision}: {time.perf_counter() - began:.1f}s "
            f"({'built' if embedder.loaded.built_export else 'cached'}: "
            f"{embedder.loaded.runner.detail}), load average {os.getloadavg()[0]:.1f} "
            f"on {os.cpu_count()} CPUs"
        )
    if not args.skip_speed:
        texts, y, _ = load("tweets", args.speed_rows)
        speed(embedders, texts, y, args)
    if not args.skip_quality:
        quality(embedders["binnr fp32"], embedders["binnr int8"], args)
    if args.skip_clustering:
        print(f"total {time.perf_counter() - started:.0f}s")
        return
    print(
        f"(b)+(c) clustering accuracy on hidden labels, mean of {args.repeats} splits, "
        f"{args.unlabelled:.0%} unlabelled, {args.iterations} iterations  [target pinned/seed "
        ">= 1.05]"
    )
    default = embedders[f"binnr {Settings().embedding_precision}"]
    for name in args.datasets:
        texts, y, _ = load(name, args.limit)
        x = cached_embeddings(default, texts, args.cache, f"{name}-{args.limit}")
        clustering(name, x, y, args)
    print(f"total {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
