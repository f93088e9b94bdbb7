"""A sentence-transformers folder read without sentence-transformers, as one torch module.

:class:`ModelSpec` holds what the folder's ``modules.json``, ``sentence_bert_config.json`` and
pooling config say; :func:`pooled_module` wraps the Hugging Face encoder so that the graph ends
with the pooled, L2-normalised sentence embedding. Exporting that whole module (not just the
encoder) keeps pooling identical across backends and shrinks the output from
``(batch, tokens, dim)`` to ``(batch, dim)``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from binnr.errors import NotSupported

Pooling = Literal["mean", "cls"]
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
DEFAULT_MAX_LENGTH = 256
_SUPPORTED_MODULES = ("Transformer", "Pooling", "Normalize")


@dataclass(frozen=True)
class ModelSpec:
    """How to turn the encoder's token states into a sentence embedding."""

    folder: Path
    pooling: Pooling = "mean"
    max_length: int = DEFAULT_MAX_LENGTH


def read_spec(folder: Path) -> ModelSpec:
    """Pooling mode and sequence limit from a sentence-transformers folder (defaults: mean, 256).

    A plain Hugging Face folder (no ``modules.json``) gets mean pooling, as sentence-transformers
    itself does. Dense or other extra modules are refused rather than silently skipped.
    """
    modules = _json(folder / "modules.json") or []
    pooling_dir = folder / "1_Pooling"
    for module in modules:
        kind = str(module.get("type", "")).rsplit(".", 1)[-1]
        if kind not in _SUPPORTED_MODULES:
            raise NotSupported(
                f"The embedding model {folder.name} has a {kind} module binnr cannot run.",
                hint="Use a model made of Transformer, Pooling and Normalize modules only.",
            )
        if kind == "Pooling":
            pooling_dir = folder / str(module.get("path", "1_Pooling"))
    pool_cfg = _json(pooling_dir / "config.json") or {"pooling_mode_mean_tokens": True}
    pooling: Pooling
    if pool_cfg.get("pooling_mode_mean_tokens"):
        pooling = "mean"
    elif pool_cfg.get("pooling_mode_cls_token"):
        pooling = "cls"
    else:
        raise NotSupported(
            f"The embedding model {folder.name} uses a pooling mode binnr does not implement.",
            hint="Use a model with mean or CLS pooling.",
        )
    st_cfg = _json(folder / "sentence_bert_config.json") or {}
    max_length = int(st_cfg.get("max_seq_length") or DEFAULT_MAX_LENGTH)
    return ModelSpec(folder=folder, pooling=pooling, max_length=max_length)


def pooled_module(spec: ModelSpec, *, input_names: tuple[str, ...]) -> Any:
    """The encoder plus pooling and L2 normalisation, as an eval-mode ``torch.nn.Module``."""
    import torch
    from transformers import AutoModel

    encoder = AutoModel.from_pretrained(str(spec.folder), local_files_only=True).eval()
    use_types = "token_type_ids" in input_names

    class PooledEncoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor | None = None,
        ) -> torch.Tensor:
            kwargs = {"token_type_ids": token_type_ids} if use_types else {}
            states = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, **kwargs
            ).last_hidden_state
            if spec.pooling == "cls":
                pooled = states[:, 0]
            else:  # sentence-transformers' mean: masked sum over a count clamped at 1e-9
                weights = attention_mask.unsqueeze(-1).to(states.dtype)
                pooled = (states * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    return PooledEncoder().eval()


def _json(path: Path) -> Any:
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))
