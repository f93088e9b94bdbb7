"""Benchmark: zero-shot SmolLM2, LoRA-tuned SmolLM2 and a classic baseline on tweet sentiment.

Run: ``python bench/llm.py [--steps 200] [--train 2000] [--test 500] [--precision fp32 auto]``.
Uses a stratified slice (seed 0) of ../shared/data/tweet_sentiment_extraction_train.csv, the
``text`` column as the prompt and ``sentiment`` as the label. The base model's HF folder is
cached under ``--home`` (default: BINNR_HOME or binnr-data). Prediction runs once per
``--precision`` (BINNR_LLM_PRECISION) on the same tuned adapter; the table gives rows per wall
and per CPU second (target >= 50 rows/s) and seconds per fine-tuning step, and each precision's
agreement with fp32 is printed below it.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# as binnr.models.gbm does for the whole process: passive OpenMP threads on a shared machine
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import pandas as pd
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

from binnr.models.llm import FinetuneOptions
from binnr.models.llm.local import LocalClient
from binnr.settings import Settings
from procstat import cpu_seconds

DATA = Path(__file__).resolve().parents[2] / "shared/data/tweet_sentiment_extraction_train.csv"
Row = dict[str, Any]


def load(path: Path, n_train: int, n_test: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Stratified train/test slices (seed 0) and 64 validation rows from neither."""
    frame = pd.read_csv(path).dropna(subset=["text", "sentiment"])
    frame["text"] = frame["text"].astype(str).str.strip()
    train, test = train_test_split(
        frame, train_size=n_train, test_size=n_test, stratify=frame["sentiment"], random_state=0
    )
    rest = frame.drop(index=[*train.index, *test.index])
    return train, test, rest.sample(n=64, random_state=0)


def score(name: str, actual: Sequence[str], predicted: Sequence[str | None], **extra: Any) -> Row:
    pred = [p if p is not None else "<none>" for p in predicted]
    return {
        "method": name,
        "macro_f1": f1_score(actual, pred, average="macro"),
        "accuracy": accuracy_score(actual, pred),
        **extra,
    }


def baselines(train: pd.DataFrame, test: pd.DataFrame) -> list[Row]:
    """binnr's GBM (when the module exists) and TF-IDF + logistic regression."""
    rows = []
    for name, fit in _baseline_fits():
        started = time.monotonic()
        predict = fit(list(train["text"]), list(train["sentiment"]))
        train_s = time.monotonic() - started
        started = time.monotonic()
        predicted = predict(list(test["text"]))
        rate = len(test) / (time.monotonic() - started)
        rows.append(
            score(name, list(test["sentiment"]), predicted, train_s=train_s, rows_per_s=rate)
        )
    return rows


Fit = Callable[[list[str], list[str]], Callable[[list[str]], list[str]]]


def _baseline_fits() -> list[tuple[str, Fit]]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    def fit_tfidf(texts: list[str], labels: list[str]) -> Callable[[list[str]], list[str]]:
        pipe = make_pipeline(
            TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True),
            LogisticRegression(max_iter=2000, C=4.0),
        )
        pipe.fit(texts, labels)
        return lambda rows: [str(x) for x in pipe.predict(rows)]

    fits: list[tuple[str, Fit]] = [("TF-IDF + LogisticRegression", fit_tfidf)]
    try:
        from binnr.models import gbm
    except ImportError:
        return fits

    def fit_gbm(texts: list[str], labels: list[str]) -> Callable[[list[str]], list[str]]:
        model = gbm.train(texts=texts, labels=labels, params=gbm.GbmParams())
        return lambda rows: [str(x) for x in model.predict(texts=rows)]

    return [("binnr GBM (default params)", fit_gbm), *fits]


class Printer:
    """Progress to stderr every ``every`` steps, so a long run shows it is alive."""

    def __init__(self, every: int = 20) -> None:
        self.every, self.started = every, time.monotonic()

    def phase(self, name: str, *, index: int, total: int) -> None:
        return None

    def update(
        self, *, done: Any = None, total: Any = None, message: Any = None, metrics: Any = None
    ) -> None:
        step = (metrics or {}).get("step")
        if step and (step % self.every == 0 or step == total):
            loss = metrics["train_loss"]
            elapsed = time.monotonic() - self.started
            print(f"  step {step}/{total} loss {loss:.3f} ({elapsed:.0f}s)", file=sys.stderr)

    def check_cancelled(self) -> None:
        return None


def timed_classify(provider: LocalClient, model: Path | None, test: pd.DataFrame) -> Any:
    """(classifications, rows per wall second, rows per CPU second of this process).

    The model is loaded (and an adapter merged) before the clock starts: the rate is prediction.
    """
    prompts, labels = list(test["text"]), sorted(test["sentiment"].unique())
    provider.load(model)
    started = time.perf_counter()
    helpers = provider.prepare(model)  # helper processes load their own copy (binnr does it
    ready = sum(h.wait_ready(None) for h in helpers)  # once per loaded model)
    print(f"  {ready} scoring helper(s) ready in {time.perf_counter() - started:.1f}s")
    wall, cpu = time.perf_counter(), _cpu_seconds(helpers)
    out = provider.classify(model_dir_or_name=model, prompts=prompts, labels=labels)
    return (
        out,
        len(prompts) / (time.perf_counter() - wall),
        len(prompts) / (_cpu_seconds(helpers) - cpu),
    )


def _cpu_seconds(helpers: Sequence[Any]) -> float:
    """CPU seconds of this process and its live scoring helpers."""
    return time.process_time() + sum(cpu_seconds(helper.pid) for helper in helpers)


def classify_rows(
    args: argparse.Namespace, name: str, model: Path | None, test: pd.DataFrame, **extra: Any
) -> list[Row]:
    """One row per ``--precision``, each from its own provider (one loaded model each)."""
    rows = []
    for precision in args.precision:
        settings = Settings(home=Path(args.home), llm_precision=precision)
        provider = LocalClient(settings=settings, threads=args.threads)
        out, rate, cpu_rate = timed_classify(provider, model, test)
        label = f"{name} [{precision}]"
        predicted = [r.label for r in out]
        rows.append(
            score(label, list(test["sentiment"]), predicted, rows_per_s=rate, cpu=cpu_rate, **extra)
        )
        rows[-1]["predicted"] = predicted
    return rows


def llm_rows(
    args: argparse.Namespace, train: pd.DataFrame, test: pd.DataFrame, valid: pd.DataFrame
) -> list[Row]:
    rows = []
    if not args.skip_zero_shot:
        rows += classify_rows(args, "SmolLM2-135M zero-shot", None, test, train_s=0.0)
    options = FinetuneOptions(
        max_steps=args.steps,
        batch_size=args.batch,
        learning_rate=args.lr,
        lora_r=args.r,
        prompt_style=args.style,
    )
    pairs = list(zip(train["text"], train["sentiment"], strict=True))
    held = list(zip(valid["text"], valid["sentiment"], strict=True))
    provider = LocalClient(settings=Settings(home=Path(args.home)), threads=args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        meta = provider.finetune(
            base_model=None,
            train=pairs,
            validation=held,
            out_dir=Path(tmp) / "m",
            options=options,
            progress=Printer(),
        )
        train_s = time.monotonic() - started
        name = f"SmolLM2-135M LoRA r={args.r}, {args.steps} steps x {args.batch} ({args.style})"
        rows += classify_rows(
            args,
            name,
            Path(tmp) / "m",
            test,
            train_s=train_s,
            step_s=train_s / args.steps,
            eval_loss=meta["metrics"].get("eval_loss"),
        )
    return rows


def agreement(rows: list[Row]) -> None:
    """How often each non-fp32 row predicts what the fp32 row of the same method predicts."""
    reference = {r["method"].rsplit(" [", 1)[0]: r for r in rows if r["method"].endswith("[fp32]")}
    for row in rows:
        ref = reference.get(row["method"].rsplit(" [", 1)[0])
        if ref is not None and ref is not row and "predicted" in row:
            same = sum(a == b for a, b in zip(row["predicted"], ref["predicted"], strict=True))
            print(f"  {row['method']}: same label as fp32 on {same}/{len(ref['predicted'])} rows")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=str(DATA))
    parser.add_argument("--train", type=int, default=2000)
    parser.add_argument("--test", type=int, default=500)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--r", type=int, default=8)
    parser.add_argument("--style", choices=["raw", "instruct"], default="instruct")
    parser.add_argument("--skip-zero-shot", action="store_true")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads (default min(2, cores)); "
        "1 is steadier on a CPU shared with other busy processes",
    )
    parser.add_argument("--home", default=os.environ.get("BINNR_HOME", "binnr-data"))
    parser.add_argument(
        "--precision",
        nargs="+",
        choices=["auto", "fp32", "bf16"],
        default=["auto"],
        help="BINNR_LLM_PRECISION for prediction; several: each is run and compared with fp32",
    )
    args = parser.parse_args()
    if not Path(args.data).is_file():
        print(f"missing {args.data}", file=sys.stderr)
        return 2
    train, test, valid = load(Path(args.data), args.train, args.test)
    counts = {str(k): int(v) for k, v in test["sentiment"].value_counts().items()}
    load_avg = os.getloadavg()[0]
    print(
        f"train {len(train)} rows, test {len(test)} rows {counts}; "
        f"load average {load_avg:.1f} on {os.cpu_count()} cores",
        flush=True,
    )
    rows = [*baselines(train, test), *llm_rows(args, train, test, valid)]
    header = f"{'method':<66} {'macro_f1':>8} {'accuracy':>8} {'train_s':>8} {'s/step':>6}"
    print(f"\n{header} {'rows/s':>8} {'/cpu-s':>7}")
    for row in rows:
        step = f"{row['step_s']:>6.2f}" if "step_s" in row else f"{'':>6}"
        cpu = f"{row['cpu']:>7.1f}" if "cpu" in row else f"{'':>7}"
        print(
            f"{row['method']:<66} {row['macro_f1']:>8.3f} {row['accuracy']:>8.3f} "
            f"{row['train_s']:>8.1f} {step} {row['rows_per_s']:>8.1f} {cpu}"
        )
    print("target: local prediction >= 50 rows/s (zero-shot and tuned), macro-F1 as with fp32")
    agreement(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
