"""The trained ``auto`` classifier: predict in batches, save to and load from a folder.

Files (no pickles): ``auto.json`` (format, labels, params, the chosen model, per-base settings
and temperatures, the report), ``vectorizer.json`` (text n-grams), ``linear.npz``,
``embeddings.npz``, ``meta.npz`` (coefficients), ``lightgbm.txt`` + ``lightgbm.npz`` (LightGBM's
text model and the columns it reads) and ``heldout.npz`` (held-out probabilities of the
labelled rows, the chosen model's and every cross-fitted base's, for
:meth:`AutoModel.label_issues`). Only the files of the base models the
chosen model uses are written.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from binnr.errors import ModelError
from binnr.models.calibration import Temperature, softmax
from binnr.models.ensemble.bases import GbmScorer, LinearScorer
from binnr.models.ensemble.chunking import Embed, chunked
from binnr.models.ensemble.crossfit import Blend, meta_features
from binnr.models.ensemble.decision import decide
from binnr.models.ensemble.features import transform
from binnr.models.ensemble.params import AutoParams
from binnr.models.ensemble.restack import issue_proba
from binnr.models.label_issues import LabelIssue, find_label_issues
from binnr.models.text_features import SelectedTfidf
from binnr.models.texts import plain_texts

FORMAT = "binnr.auto/1"
_CHUNK = 4096  # rows per predict chunk; chunks run on num_threads threads


class AutoModel:
    """Base models (``scorers``), their temperatures, an optional meta-model, a final temperature.

    ``bases`` lists the base models the chosen model reads, in the meta-model's input order.
    """

    def __init__(
        self,
        *,
        labels: Sequence[str],
        params: AutoParams,
        chosen: str,
        scorers: dict[str, Any],
        temperatures: dict[str, float],
        meta: Blend | None,
        vectorizer: SelectedTfidf | None,
        info: dict[str, Any],
        heldout: dict[str, np.ndarray],
        embed: Embed | None = None,
    ) -> None:
        self.labels, self.params, self.chosen = list(labels), params, chosen
        self.scorers, self.temperatures, self.meta = scorers, temperatures, meta
        self.vectorizer, self.info, self.heldout, self.embed = vectorizer, info, heldout, embed
        self._issue_proba: np.ndarray | None = None  # computed by the first label_issues call

    @property
    def bases(self) -> list[str]:
        return list(self.scorers)

    @property
    def report(self) -> dict[str, Any]:
        return dict(self.info["report"])

    @property
    def oof_proba(self) -> np.ndarray:
        """Calibrated held-out probabilities of every labelled row (see ``heldout_rows``)."""
        return self.heldout["proba"]

    @property
    def heldout_rows(self) -> np.ndarray:
        """Input position of each ``oof_proba`` row (eval rows follow the training rows)."""
        return self.heldout["rows"]

    def label_issues(self, *, limit: int | None = None) -> list[LabelIssue]:
        """Labelled rows whose given label is likely wrong, most suspicious first (ranked on the
        bases' held-out probabilities re-stacked for it, :mod:`.restack`, where they are kept)."""
        if self._issue_proba is None:
            y, proba = self.heldout["y"], self.heldout["proba"]
            if "bases" in self.heldout:  # models saved before it was stored: the stack's
                p = self.params
                proba = issue_proba(y, proba, self.heldout["bases"], folds=p.folds, seed=p.seed)
            self._issue_proba = proba
        found = find_label_issues(self.heldout["y"], self._issue_proba, self.labels, limit=limit)
        rows = self.heldout["rows"]
        for issue in found:  # report input positions, not positions among labelled rows
            issue.index = int(rows[issue.index])
        return found

    def predict(self, texts: Sequence[str | None], embed: Embed | None = None) -> list[str]:
        """The label of each text: calibrated probabilities, then the macro-F1 decision rule
        (:mod:`binnr.models.ensemble.decision`) chosen on held-out rows."""
        return self.decide(self.predict_proba(texts, embed=embed))

    def decide(self, proba: np.ndarray) -> list[str]:
        """Labels for rows of :meth:`predict_proba` output (the rule :meth:`predict` uses)."""
        offsets = np.asarray(self.info.get("decision_offsets", np.zeros(len(self.labels))))
        return [self.labels[i] for i in decide(proba, offsets)]

    def predict_proba(self, texts: Sequence[str | None], embed: Embed | None = None) -> np.ndarray:
        """Calibrated probabilities (rows × labels). Stateless: call it per batch."""
        clean = plain_texts(texts)
        emb = self._embeddings(clean, embed) if "embeddings" in self.scorers else None
        spans = [(a, min(a + _CHUNK, len(clean))) for a in range(0, len(clean), _CHUNK)]
        if not spans:
            return np.zeros((0, len(self.labels)))
        if len(spans) == 1 or self.params.num_threads == 1:
            parts = [self._proba(clean[a:b], emb, a) for a, b in spans]
        else:  # numpy, scipy and LightGBM release the GIL: chunks run side by side
            with ThreadPoolExecutor(self.params.num_threads) as pool:
                parts = list(pool.map(lambda s: self._proba(clean[s[0] : s[1]], emb, s[0]), spans))
        return np.vstack(parts)

    def _embeddings(self, texts: list[str], embed: Embed | None) -> np.ndarray:
        fn = embed or self.embed
        if fn is None:
            raise ModelError(
                "This model reads sentence embeddings but no embed function was given.",
                hint="Pass embed=<callable> to predict_proba or to AutoModel.load.",
            )
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return chunked(fn, window=self.params.window_words, max_chunks=self.params.max_chunks)(
            texts
        )

    def _proba(self, texts: list[str], emb: np.ndarray | None, start: int) -> np.ndarray:
        x = transform(self.vectorizer, texts) if self.vectorizer is not None else None
        probas = []
        for name, scorer in self.scorers.items():
            data = x if name != "embeddings" or emb is None else emb[start : start + len(texts)]
            z = scorer.scores(data)
            probas.append(Temperature(self.temperatures[name]).apply(softmax(z)))
        if self.meta is not None:
            proba = softmax(self.meta.scores(meta_features(probas)))
        else:
            proba = probas[0]
        return Temperature(self.temperatures["final"]).apply(proba)

    def save(self, folder: Path) -> None:
        """Write the model files into ``folder`` (created if needed)."""
        folder.mkdir(parents=True, exist_ok=True)
        if self.vectorizer is not None:
            (folder / "vectorizer.json").write_text(json.dumps(self.vectorizer.to_json()))
        for name, scorer in self.scorers.items():
            if name == "lightgbm":
                scorer.booster.save_model(str(folder / "lightgbm.txt"))
                np.savez(folder / "lightgbm.npz", columns=scorer.columns)
            else:
                _save_npz(folder / f"{name}.npz", scorer.arrays())
        if self.meta is not None:
            _save_npz(folder / "meta.npz", self.meta.arrays())
        _save_npz(folder / "heldout.npz", self.heldout)
        head = {"format": FORMAT, "labels": self.labels, "params": self.params.model_dump()}
        body = {"chosen": self.chosen, "bases": self.bases, "temperatures": self.temperatures}
        (folder / "auto.json").write_text(json.dumps({**head, **body, **self.info}))

    @classmethod
    def load(cls, folder: Path, *, embed: Embed | None = None) -> AutoModel:
        """Read a model written by :meth:`save`."""
        try:
            meta = json.loads((folder / "auto.json").read_text())
            if meta.get("format") != FORMAT:
                raise ValueError(f"it holds a {meta.get('format')!r} model, not {FORMAT!r}")
            return cls._from_files(folder, meta, embed)
        except (OSError, ValueError, KeyError, lgb.basic.LightGBMError) as exc:
            raise ModelError(
                f"Cannot read the auto model in {folder.name}: {exc}",
                hint="Retrain the model; its files are missing or from another version.",
            ) from exc

    @classmethod
    def _from_files(cls, folder: Path, meta: dict[str, Any], embed: Embed | None) -> AutoModel:
        n = len(meta["labels"])
        scorers: dict[str, Any] = {}
        for name in meta["bases"]:
            if name == "lightgbm":
                booster = lgb.Booster(model_file=str(folder / "lightgbm.txt"))
                with np.load(folder / "lightgbm.npz") as z:
                    scorers[name] = GbmScorer(booster=booster, columns=z["columns"], n_labels=n)
            else:
                with np.load(folder / f"{name}.npz") as z:
                    scorers[name] = LinearScorer.from_arrays(z, n)
        vec_file, meta_file = folder / "vectorizer.json", folder / "meta.npz"
        vectorizer = None
        if vec_file.exists():
            vectorizer = SelectedTfidf.from_json(json.loads(vec_file.read_text()))
        stack = None
        if meta_file.exists():
            with np.load(meta_file) as z:
                stack = Blend.from_arrays(z)
        with np.load(folder / "heldout.npz") as z:
            heldout = {k: z[k] for k in z.files}
        skip = {"format", "labels", "params", "chosen", "bases", "temperatures"}
        return cls(
            labels=meta["labels"],
            params=AutoParams.model_validate(meta["params"]),
            chosen=meta["chosen"],
            scorers=scorers,
            temperatures=meta["temperatures"],
            meta=stack,
            vectorizer=vectorizer,
            info={k: v for k, v in meta.items() if k not in skip},
            heldout=heldout,
            embed=embed,
        )


def _save_npz(path: Path, arrays: dict[str, Any]) -> None:
    np.savez(path, allow_pickle=False, **arrays)
