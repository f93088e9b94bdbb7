"""The dtype local LLM inference runs in (``BINNR_LLM_PRECISION``); training is always fp32.

``auto`` (the default) picks bf16 on a CPU with AMX bf16 tiles, where oneDNN's bf16 matrix
products are several times faster, and fp32 elsewhere (emulated bf16 is slower; GPUs are fast
enough in fp32). It is the default because fp32 cannot get near the 50 rows/s target on two
cores (packed scoring, SmolLM2-135M: ~8 fp32 vs ~20 bf16 rows per CPU second) while the labels
barely move. ``fp32`` is exact: predictions equal those of fp32 training-time scoring. ``bf16``
moves each label's total log-probability by ~0.07 on average, so rows whose labels score almost
alike (many zero-shot rows: the base model barely prefers one label) can change their answer:
zero-shot on 200 bench tweets 191/200 labels as fp32, macro-F1 0.340 vs 0.335; earlier runs on
the bench slice: 96% zero-shot and 99% tuned, macro-F1 within ±0.012 (sampling noise on 500
rows is about ±0.02). The final norm and the vocabulary projection stay fp32 (they run on a few
positions per row only): rounding the logits themselves was a third of that error (zero-shot on
256 tweets: 96.9% of labels as fp32 instead of 92.6%). Computing only the matrix products in
bf16 (residual stream and norms fp32) was slower than all-bf16 layers (13 vs 19 rows per CPU
second on a busy machine), so it was not kept.
"""

from __future__ import annotations

from typing import Any, Literal

import torch

Precision = Literal["auto", "fp32", "bf16"]


def inference_dtype(precision: Precision, device: torch.device) -> torch.dtype:
    """The weights' dtype for inference with ``precision`` on ``device``."""
    if precision == "bf16":
        return torch.bfloat16
    if precision == "auto" and device.type == "cpu" and _has_amx_bf16():
        return torch.bfloat16
    return torch.float32


def to_inference(model: Any, dtype: torch.dtype) -> Any:
    """``model`` in ``dtype``, except its last norm and output projection, which stay fp32.

    The projection is copied first: with tied embeddings it shares its weight with the input
    embedding, which must follow ``dtype``.
    """
    if dtype == torch.float32:
        return model.float()
    head = model.get_output_embeddings()
    fp32_head = _Fp32Head(head.weight.detach().float().clone()) if head is not None else None
    model.to(dtype)
    if fp32_head is not None:
        model.set_output_embeddings(fp32_head)
        norm = getattr(model.get_decoder(), "norm", None)
        if isinstance(norm, torch.nn.Module):
            norm.float()  # Llama-style norms compute in fp32 and return their weight's dtype
    return model


class _Fp32Head(torch.nn.Module):
    """A bias-free output projection that computes in fp32 whatever its input's dtype."""

    def __init__(self, weight: torch.Tensor) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(weight, requires_grad=False)
        self.out_features, self.in_features = weight.shape

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        # contiguous: a strided slice (logits_to_keep) made matmul expand the 49152-row weight
        # per row into a batched product, which took most of a bf16 classify call
        return torch.nn.functional.linear(hidden.float().contiguous(), self.weight)


def _has_amx_bf16() -> bool:
    try:
        return bool(torch.cpu.get_capabilities().get("amx_bf16"))
    except Exception:  # an older torch without get_capabilities: stay exact
        return False
