"""Tokenisation once per ``embed`` call, and padding of one length-sorted batch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from binnr.errors import ModelError
from binnr.models.embeddings.modeling import INPUT_NAMES, ModelSpec
from binnr.progress import NullProgress, Progress

_CHUNK = 4096  # texts tokenised between two cancel checks


@dataclass(frozen=True)
class Tokens:
    """The model's tokenizer, the graph inputs it feeds and the sequence limit."""

    tokenizer: Any
    input_names: tuple[str, ...]
    max_length: int
    pad_id: int

    @classmethod
    def load(cls, spec: ModelSpec) -> Tokens:
        from transformers import AutoTokenizer

        try:
            tokenizer = AutoTokenizer.from_pretrained(str(spec.folder), local_files_only=True)
        except Exception as exc:
            raise ModelError(
                f"The tokenizer of {spec.folder.name} could not be loaded: {str(exc)[:300]}",
                hint="Point BINNR_EMBEDDING_MODEL at a folder with tokenizer files.",
            ) from exc
        wanted = set(tokenizer.model_input_names) | {"input_ids", "attention_mask"}
        limit = min(spec.max_length, int(getattr(tokenizer, "model_max_length", 512) or 512))
        return cls(
            tokenizer=tokenizer,
            input_names=tuple(n for n in INPUT_NAMES if n in wanted),
            max_length=limit,
            pad_id=int(tokenizer.pad_token_id or 0),
        )


def tokenize(
    tokens: Tokens, texts: Sequence[str], *, progress: Progress = NullProgress()
) -> list[list[int]]:
    """Token ids per text, truncated to the model's limit exactly as sentence-transformers does."""
    ids: list[list[int]] = []
    for start in range(0, len(texts), _CHUNK):
        progress.check_cancelled()
        chunk = list(texts[start : start + _CHUNK])
        ids.extend(
            tokens.tokenizer(
                chunk,
                truncation=True,
                max_length=tokens.max_length,
                return_attention_mask=False,
                return_token_type_ids=False,
            )["input_ids"]
        )
    return ids


def pad_batch(
    tokens: Tokens, rows: Sequence[Sequence[int]], *, width: int = 0
) -> dict[str, np.ndarray]:
    """Right-padded int64 ``input_ids``/``attention_mask`` (+ zero ``token_type_ids``), as wide
    as the longest row or ``width``, whichever is more."""
    width = max(max((len(r) for r in rows), default=1), width)
    input_ids = np.full((len(rows), width), tokens.pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for i, row in enumerate(rows):
        input_ids[i, : len(row)] = row
        mask[i, : len(row)] = 1
    batch = {"input_ids": input_ids, "attention_mask": mask}
    if "token_type_ids" in tokens.input_names:
        # one segment per text: sentence-transformers sends all-zero type ids too
        batch["token_type_ids"] = np.zeros_like(input_ids)
    return batch
