"""The ``local`` provider: transformers + PEFT LoRA on CPU or GPU, fully offline.

A fine-tuned model is a folder with ``adapter/`` (PEFT) and ``llm.json`` (base model reference,
labels, prompt style, options, metrics); the base weights are never copied. Classification
scores every label's log-likelihood (:mod:`.scoring`) instead of parsing generated text: a base
model (zero-shot) gets the label-listing instruction, an adapter the prompt style it was tuned
with. The prompts' shared start runs once per call and rows are packed into long sequences
(:mod:`.scoring`); inference runs in ``BINNR_LLM_PRECISION`` (:mod:`.precision`).
"""

from __future__ import annotations

import functools
import json
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from peft import PeftModel
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from binnr.children import may_start_children
from binnr.errors import InvalidInput, ModelError
from binnr.models.llm import lora
from binnr.models.llm.base import DEFAULT_MODELS, Classification, FinetuneOptions, Role
from binnr.models.llm.base import resolve_model_type as resolve
from binnr.models.llm.batching import common_prefix
from binnr.models.llm.chat import ChatFormat
from binnr.models.llm.gguf_base import load_base
from binnr.models.llm.precision import inference_dtype, to_inference
from binnr.models.llm.prompting import (
    check_sampling,
    classification,
    encode_pairs,
    pad_id,
    prompt_ids,
)
from binnr.models.llm.scoring import PACK_TOKENS, LabelScorer, packs
from binnr.models.llm.workers import Helper, score_packs
from binnr.progress import NullProgress, Progress
from binnr.settings import Settings

META_FILE = "llm.json"
ADAPTER_DIR = "adapter"
FORMAT = "binnr-llm/1"
MAX_INSTRUCT_LABELS = 100
#: Rows from which a classify call starts helper processes (:mod:`.workers`): loading the
#: model in another process takes a few seconds, about as long as scoring 250 rows in one.
HELPER_MIN_ROWS = 256


@dataclass
class Loaded:
    """A model ready for inference (adapter merged) and how to prompt it."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    meta: dict[str, Any]


class LocalClient:
    """Fine-tune, classify and complete with local transformers models."""

    name = "local"
    supports_finetune = True

    def __init__(
        self,
        *,
        settings: Settings,
        device: str | None = None,
        predict_batch_size: int = 64,
        pack_tokens: int = PACK_TOKENS,
        threads: int | None = None,
    ) -> None:
        self.settings = settings
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.predict_batch_size = predict_batch_size  # rows per packed sequence, at most
        self.pack_tokens = pack_tokens
        self.threads = threads or settings.llm_threads or min(2, os.cpu_count() or 1)
        self._cache: dict[tuple[str, float], Loaded] = {}
        self._helpers: list[Helper] = []
        self._lock = threading.Lock()

    def finetune(
        self,
        *,
        base_model: str | None,
        train: Sequence[tuple[str, str]],
        validation: Sequence[tuple[str, str]],
        out_dir: Path,
        options: FinetuneOptions,
        progress: Progress = NullProgress(),
    ) -> dict[str, Any]:
        """LoRA-tune ``base_model`` on (prompt, completion) pairs; writes ``out_dir``."""
        lora.total_steps(len(train), options)  # fail on empty data before the slow load
        torch.set_num_threads(self.threads)
        started = time.monotonic()
        name, ref = self._base_name(base_model)
        progress.update(message=f"loading base model {name}")
        model, tokenizer = load_base(name=name, ref=ref, models_dir=self.settings.models_dir)
        labels = sorted({completion for _, completion in train})
        # Free-text completions (not a label set) cannot be listed in an instruction.
        style = options.prompt_style if len(labels) <= MAX_INSTRUCT_LABELS else "raw"
        fmt = ChatFormat(tokenizer, options.max_prompt_tokens, style)
        tuned = lora.add_lora(_place(model, self.device), options)
        metrics = lora.train(
            tuned,
            train=encode_pairs(fmt, train, labels),
            validation=encode_pairs(fmt, validation, labels),
            options=options,
            pad_id=pad_id(tokenizer),
            progress=progress,
        )
        progress.check_cancelled()
        history = metrics.pop("history")
        meta: dict[str, Any] = {
            "format": FORMAT,
            "provider": self.name,
            "base_model": name,
            "base_ref": ref,
            "labels": labels,
            "prompt_style": style,
            "max_prompt_tokens": options.max_prompt_tokens,
            "options": options.model_dump(),
            "metrics": metrics,
            "train_rows": len(train),
            "validation_rows": len(validation),
            "train_seconds": round(time.monotonic() - started, 2),
            "device": str(self.device),
        }
        _save(tuned, out_dir, {**meta, "loss_history": [h["train_loss"] for h in history]})
        return meta

    def classify(
        self,
        *,
        model_dir_or_name: str | Path | None,
        prompts: Sequence[str],
        labels: Sequence[str],
        progress: Progress = NullProgress(),
    ) -> list[Classification]:
        """The most likely label per prompt (``labels`` empty: the tuned model's labels)."""
        torch.set_num_threads(self.threads)
        loaded = self.load(model_dir_or_name)
        labels = list(labels) or list(loaded.meta.get("labels", []))
        if not labels:
            raise InvalidInput("No labels to classify into.", hint="Pass the label set.")
        fmt = ChatFormat(
            loaded.tokenizer, loaded.meta["max_prompt_tokens"], loaded.meta["prompt_style"]
        )
        # A tuned model saw its training label list in the instruction: keep that exact text.
        shown = list(loaded.meta.get("labels") or labels)
        prefixes = prompt_ids(fmt, prompts, shown, progress)
        shared = common_prefix(prefixes) if len(prefixes) > 1 else 0
        scorer = LabelScorer(
            loaded.model,
            completions=[fmt.completion_ids(label) for label in labels],
            shared=prefixes[0][:shared] if prefixes else [],
        )
        tails = [p[shared:] for p in prefixes]
        sizes = [scorer.row_tokens(len(t)) for t in tails]
        chosen = list(packs(sizes, budget=self.pack_tokens, max_rows=self.predict_batch_size))
        # (the model is loaded above, so running helpers are this model's)
        wanted = len(prompts) >= HELPER_MIN_ROWS or bool(self._helpers)
        helpers = self.prepare(model_dir_or_name) if wanted else []
        # the helpers take the other cores: this process keeps one thread for its share
        torch.set_num_threads(max(1, self.threads - len(helpers)))
        out: list[Classification | None] = [None] * len(prompts)
        done = 0
        for rows, totals in score_packs(scorer, chosen, tails, helpers, progress.check_cancelled):
            for i, row in zip(rows, totals, strict=True):
                out[i] = classification(row, labels)
            done += len(rows)
            progress.update(done=done, total=len(prompts), message=f"{done}/{len(prompts)} rows")
        return [r for r in out if r is not None]

    def prepare(self, model_dir_or_name: str | Path | None) -> list[Helper]:
        """Load the model here and start its scoring helpers (once; see :mod:`.workers`).

        On CPU with ``threads`` > 1, ``threads - 1`` helper processes load their own copy and
        score packs alongside this process. They live as long as the model stays loaded.
        """
        self.load(model_dir_or_name)
        wanted = self.threads - 1 if self.device.type == "cpu" and may_start_children() else 0
        with self._lock:
            self._helpers = [h for h in self._helpers if h.state != "failed"]
            ref = str(model_dir_or_name) if model_dir_or_name else None
            load = functools.partial(_helper_model, self.settings, ref)
            self._helpers += [Helper(load) for _ in range(wanted - len(self._helpers))]
            return list(self._helpers)

    def close(self) -> None:
        """Stop the scoring helpers and forget the loaded model."""
        with self._lock:
            self._forget()

    def _forget(self) -> None:
        self._cache.clear()  # one model in memory at a time
        for helper in self._helpers:
            helper.close()
        self._helpers = []

    def complete(
        self,
        *,
        model: str | Path | None,
        prompt: str,
        role: Role = "user",
        temperature: float = 0.1,
        max_tokens: int = 256,
        top_p: float = 1.0,
    ) -> str:
        """Generate an answer (greedy when ``temperature`` is 0)."""
        check_sampling(temperature=temperature, max_tokens=max_tokens, top_p=top_p)
        torch.set_num_threads(self.threads)
        loaded = self.load(model)
        fmt = ChatFormat(loaded.tokenizer, max_prompt_tokens=8192)
        ids = torch.tensor([fmt.prefix_ids(prompt, role=role)], device=self.device)
        sampling: dict[str, Any] = {"do_sample": temperature > 0}
        if temperature > 0:
            sampling.update(temperature=temperature, top_p=top_p, top_k=0)
        with torch.inference_mode():
            generated = loaded.model.generate(  # type: ignore[operator]
                input_ids=ids,
                attention_mask=torch.ones_like(ids),
                max_new_tokens=max_tokens,
                pad_token_id=pad_id(loaded.tokenizer),
                **sampling,
            )
        return str(loaded.tokenizer.decode(generated[0, ids.shape[1] :], skip_special_tokens=True))

    def load(self, model_dir_or_name: str | Path | None) -> Loaded:
        """A tuned model folder (adapter merged) or a base model type, cached (one entry)."""
        folder = Path(model_dir_or_name) if model_dir_or_name else None
        meta_path = folder / META_FILE if folder else None
        if meta_path is None or not meta_path.is_file():
            return self._load_base(str(model_dir_or_name) if model_dir_or_name else None)
        key = (str(meta_path.resolve()), meta_path.stat().st_mtime)
        with self._lock:
            if key not in self._cache:
                self._forget()
                self._cache[key] = self._load_tuned(meta_path)
            return self._cache[key]

    def _load_tuned(self, meta_path: Path) -> Loaded:
        meta = read_metadata(meta_path.parent)
        if meta.get("format") != FORMAT:
            raise ModelError(
                f"{meta_path.parent.name} is not a binnr local LLM.", hint="Train it again."
            )
        try:
            name, ref = self._base_name(meta["base_model"])
        except InvalidInput:  # the name is no longer configured: fall back to the stored ref
            name, ref = meta["base_model"], meta["base_ref"]
        model, tokenizer = load_base(name=name, ref=ref, models_dir=self.settings.models_dir)
        tuned = PeftModel.from_pretrained(model, str(meta_path.parent / ADAPTER_DIR))
        merged = tuned.merge_and_unload()  # plain weights: faster inference, same outputs
        return Loaded(self._for_inference(merged), tokenizer, meta)

    def _load_base(self, model_type: str | None) -> Loaded:
        name, ref = self._base_name(model_type)
        key = (f"base:{ref}", 0.0)
        with self._lock:
            if key not in self._cache:
                self._forget()
                model, tok = load_base(name=name, ref=ref, models_dir=self.settings.models_dir)
                meta = {"base_model": name, "prompt_style": "instruct", "max_prompt_tokens": 256}
                self._cache[key] = Loaded(self._for_inference(model), tok, meta)
            return self._cache[key]

    def _for_inference(self, model: Any) -> PreTrainedModel:
        """``model`` on the device in ``BINNR_LLM_PRECISION`` (training keeps its own fp32 copy)."""
        dtype = inference_dtype(self.settings.llm_precision, self.device)
        return _place(to_inference(model, dtype), self.device)

    def _base_name(self, model_type: str | None) -> tuple[str, str]:
        ref = resolve(model_type, settings=self.settings, provider="local")
        return (model_type or "").strip() or DEFAULT_MODELS["local"], ref


def _helper_model(settings: Settings, model_dir_or_name: str | None) -> PreTrainedModel:
    """A helper process's copy of the model: loaded exactly as the caller loaded its own."""
    return LocalClient(settings=settings, device="cpu", threads=1).load(model_dir_or_name).model


def _save(model: PeftModel, out_dir: Path, meta: dict[str, Any]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out_dir / ADAPTER_DIR))
    # llm.json last: its presence marks a complete model folder.
    (out_dir / META_FILE).write_text(json.dumps(meta, indent=2, default=str))


def _place(model: Any, device: torch.device) -> PreTrainedModel:
    """``model`` on ``device`` in eval mode (transformers' ``to`` typing is too narrow)."""
    return model.to(device).eval()  # type: ignore[no-any-return]


def read_metadata(model_dir: Path) -> dict[str, Any]:
    """The ``llm.json`` of a tuned model folder (labels, base model, metrics...)."""
    path = Path(model_dir) / META_FILE
    if not path.is_file():
        raise ModelError(
            f"{Path(model_dir).name} holds no {META_FILE}.", hint="Fine-tune the model first."
        )
    return json.loads(path.read_text())  # type: ignore[no-any-return]
