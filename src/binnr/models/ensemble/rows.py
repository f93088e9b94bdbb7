"""Input handling of :func:`~binnr.models.ensemble.train_auto`: params, labelled rows, the
base models to try, and their inputs (text features, embeddings)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from pydantic import ValidationError

from binnr.errors import InvalidInput
from binnr.models.ensemble.chunking import Embed, chunked
from binnr.models.ensemble.features import fit_features, transform
from binnr.models.ensemble.params import AutoParams
from binnr.models.gbm_training import _clean, _holdout, encode_classes
from binnr.models.text_features import SelectedTfidf


@dataclass
class Rows:
    """Labelled rows and which of them are cross-fitted (train) or held out (eval)."""

    texts: list[str]  # labelled rows: training rows, then the given eval rows
    y: np.ndarray
    labels: list[str]
    train: np.ndarray
    eval: np.ndarray
    positions: np.ndarray  # each row's position in the input (eval texts after texts)
    warnings: list[str]


def parse_params(params: AutoParams | dict[str, Any] | None) -> AutoParams:
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


def labelled_rows(
    texts: Sequence[str | None],
    labels: Sequence[str | None],
    eval_texts: Sequence[str | None] | None,
    eval_labels: Sequence[str | None] | None,
    p: AutoParams,
) -> Rows:
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
    classes, y = encode_classes(names)
    warnings += label_warnings(classes, np.bincount(y, minlength=len(classes)))
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
    return Rows(kept, y, classes, train, held, positions, warnings)


def label_warnings(labels: Sequence[str], counts: np.ndarray, *, shown: int = 5) -> list[str]:
    """What a user should fix in the labels: spellings of one label that differ only in case or
    surrounding spaces, and labels with a single row (too few to learn or to check)."""
    out = []
    groups: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(label.strip().casefold(), []).append(i)
    twins = [sorted(g, key=lambda i: -counts[i]) for g in groups.values() if len(g) > 1]
    if twins:
        listed = "; ".join(
            " and ".join(_counted(labels[i], counts[i]) for i in g) for g in twins[:shown]
        )
        more = f" and {len(twins) - shown} more" if len(twins) > shown else ""
        out.append(
            f"Labels that differ only in case or spaces are different classes: {listed}{more}. "
            "Write each one way in the label column if they mean the same."
        )
    single = [labels[int(i)] for i in np.flatnonzero(counts == 1)]
    if single:
        more = f" and {len(single) - shown} more" if len(single) > shown else ""
        out.append(
            f"{len(single)} label{'s have' if len(single) > 1 else ' has'} a single row "
            f"({', '.join(map(repr, single[:shown]))}"
            f"{more}): too few to learn or to check, so they are rarely predicted. Label more "
            "rows of them, or merge them into another label."
        )
    return out


def _counted(label: str, rows: int) -> str:
    return f"{label!r} ({rows} row{'' if rows == 1 else 's'})"


def choose_bases(p: AutoParams, rows: Rows, has_embed: bool) -> list[str]:
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


def inputs(
    rows: Rows, bases: list[str], p: AutoParams, embed: Embed | None
) -> tuple[SelectedTfidf | None, Any, np.ndarray | None]:
    """Text features of every labelled row with their vectoriser (vocabulary from the training
    rows), and embeddings of every labelled row."""
    vectorizer, x = None, None
    if {"linear", "lightgbm"} & set(bases):
        vectorizer, x_train = fit_features([rows.texts[i] for i in rows.train])
        x_eval = transform(vectorizer, [rows.texts[i] for i in rows.eval])
        x = by_position(x_train, x_eval, rows)
    emb = None
    if embed is not None and "embeddings" in bases:
        emb = chunked(embed, window=p.window_words, max_chunks=p.max_chunks)(rows.texts)
    return vectorizer, x, emb


def by_position(x_train: Any, x_eval: Any, rows: Rows) -> Any:
    """One matrix whose row i belongs to labelled row i."""
    stacked = sp.vstack([x_train, x_eval], format="csr")
    order = np.empty(len(rows.texts), dtype=np.int64)
    order[np.concatenate([rows.train, rows.eval])] = np.arange(len(rows.texts))
    return stacked[order]
