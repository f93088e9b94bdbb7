"""The method leaderboard: every way binnr fills labels, on one split, with one metric set.

Methods: the supervised pipeline (``auto``) and each of its models forced (``stack``,
``linear``, ``embeddings``, and the original text GBM as ``lightgbm``); clustering over the
same embeddings (``pinned``, and the original ``seed`` for reference); with ``include_llm``
the local LLM zero-shot and LoRA-tuned (on at most ``llm_max_rows`` test rows). Each row of
``compare_<table>``: macro-F1, accuracy, log-loss and expected calibration error where the
method gives probabilities, train and predict seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa

from binnr.jobs.context import JobContext
from binnr.models.calibration import expected_calibration_error
from binnr.models.cluster import Algorithm, cluster
from binnr.models.ensemble.params import AutoParams
from binnr.models.metrics import evaluate
from binnr.models.train_entry import prepare_kernels
from binnr.params.compare import CompareParams
from binnr.services.classifier.model_kinds import embedder
from binnr.services.compare_llm import llm_methods
from binnr.services.label_map import require_columns, resolve_labels
from binnr.services.predictions import write_tables
from binnr.services.split import Split, stratified_split

Method = Callable[[Split], tuple[list[str], np.ndarray | None]]
_ROWS = 'SELECT "source", "target" FROM {t} WHERE "target" IS NOT NULL'
_SUPERVISED = ("auto", "stack", "linear", "embeddings")


def compare_job(ctx: JobContext, params: CompareParams) -> dict[str, Any]:
    """Train and score every method; write ``compare_<input_table>``; return the rows."""
    wh = ctx.warehouse
    ref = params.ref(wh, params.input_table)
    require_columns(wh, ref)
    labels = resolve_labels(warehouse=wh, ref=ref)
    table = wh.fetch_arrow(wh.render(_ROWS, t=ref))
    texts = [t or "" for t in table.column("source").to_pylist()]
    names = [labels.label(n) for n in table.column("target").to_pylist()]
    split = stratified_split(texts, names, test_fraction=params.test_fraction, seed=params.seed)
    embed = embedder(ctx, ref)
    prepare_kernels(ctx.settings)  # the feature kernels' first compile, off this interpreter
    methods = _methods(split, embed, params, ctx)
    rows = []
    for i, (name, run) in enumerate(methods.items(), start=1):
        ctx.progress.phase(f"method {name}", index=i, total=len(methods) + 1)
        ctx.progress.check_cancelled()
        rows.append(_score(name, run, split, labels.labels))
    ctx.progress.phase("write", index=len(methods) + 1, total=len(methods) + 1)
    out = wh.derived(ref, prefix="compare_")
    write_tables(warehouse=wh, tables={out: pa.Table.from_pylist(rows)})
    rows.sort(key=lambda r: -(r["macro_f1"] or 0.0))
    return {
        "table": out.name,
        "train_rows": len(split.train),
        "test_rows": len(split.test),
        "methods": rows,
    }


def _methods(split: Split, embed: Any, params: CompareParams, ctx: JobContext) -> dict[str, Method]:
    methods: dict[str, Method] = {name: _supervised(name, embed, ctx) for name in _SUPERVISED}
    methods["lightgbm"] = _text_gbm(ctx)
    methods["cluster_pinned"] = _clustering("pinned", embed)
    methods["cluster_seed"] = _clustering("seed", embed)
    if params.include_llm:
        methods.update(llm_methods(ctx, params))
    return methods


def _supervised(model: str, embed: Any, ctx: JobContext) -> Method:
    def run(split: Split) -> tuple[list[str], np.ndarray | None]:
        from binnr.models.ensemble.training import train_auto  # LightGBM: loaded on use

        knobs = AutoParams(model=model)  # type: ignore[arg-type]
        trained = train_auto(
            split.train_texts, split.train_labels, params=knobs, embed=embed, progress=ctx.progress
        )
        split.mark_trained()
        proba = trained.predict_proba(split.test_texts)
        return trained.decide(proba), _aligned(proba, trained.labels, split.labels)

    return run


def _text_gbm(ctx: JobContext) -> Method:
    def run(split: Split) -> tuple[list[str], np.ndarray | None]:
        from binnr.models import gbm  # LightGBM: loaded on use

        trained = gbm.train(
            texts=split.train_texts, labels=split.train_labels, progress=ctx.progress
        )
        split.mark_trained()
        proba = trained.predict_proba(split.test_texts)
        predicted = [trained.labels[i] for i in proba.argmax(axis=1)]
        return predicted, _aligned(proba, trained.labels, split.labels)

    return run


def _clustering(algorithm: Algorithm, embed: Any) -> Method:
    def run(split: Split) -> tuple[list[str], np.ndarray | None]:
        vectors = embed(split.train_texts + split.test_texts)
        index = {label: i for i, label in enumerate(split.labels)}
        targets = np.array(
            [index[x] for x in split.train_labels] + [-1] * len(split.test), dtype=int
        )
        result = cluster(
            embeddings=vectors, targets=targets, n_classes=len(split.labels), algorithm=algorithm
        )
        split.mark_trained()
        predicted = np.asarray(result.predicted)[len(split.train) :]
        return [split.labels[int(p)] for p in predicted], None

    return run


def _aligned(proba: np.ndarray, model_labels: list[str], labels: list[str]) -> np.ndarray:
    """Columns in ``labels`` order (a class missing from the training side gets 0)."""
    out = np.zeros((len(proba), len(labels)))
    where = {label: i for i, label in enumerate(model_labels)}
    for j, label in enumerate(labels):
        if label in where:
            out[:, j] = proba[:, where[label]]
    return out


def _score(name: str, run: Method, split: Split, labels: list[str]) -> dict[str, Any]:
    split.start()
    predicted, proba = run(split)
    train_s, predict_s = split.timings()
    actual = split.test_labels[: len(predicted)]
    report = evaluate(actual=actual, predicted=predicted, labels=labels, probabilities=proba)
    ece = None
    if proba is not None:
        y = np.array([labels.index(a) for a in actual])
        ece = expected_calibration_error(proba, y)
    return {
        "method": name,
        "macro_f1": report.get("macro_f1"),
        "accuracy": report.get("accuracy"),
        "log_loss": report.get("log_loss"),
        "ece": ece,
        "test_rows": len(predicted),
        "train_seconds": round(train_s, 3),
        "predict_seconds": round(predict_s, 3),
        "scored_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
