"""The dtype local LLM inference runs in (``BINNR_LLM_PRECISION``); training is always fp32.

``auto`` picks bfloat16 on a CPU with AMX bf16 tiles: there bf16 matrix products run ~3x faster
than fp32 (SmolLM2-135M scores ~3x more rows per CPU second), which is what makes local
prediction fast on a few cores. Everywhere else ``auto`` keeps fp32, the exact reference: on
CPUs without AMX bf16 is emulated and slower, and GPUs are fast enough in fp32. bf16 rounds each
label's total log-probability by ~0.1 on average, so rows whose labels score almost alike (most
zero-shot rows: the base model barely prefers one label) can change their answer; set ``fp32``
where predictions must match fp32 exactly.
"""

from __future__ import annotations

from typing import Literal

import torch

Precision = Literal["auto", "fp32", "bf16"]


def inference_dtype(precision: Precision, device: torch.device) -> torch.dtype:
    """The weights' dtype for inference with ``precision`` on ``device``."""
    if precision == "bf16":
        return torch.bfloat16
    if precision == "auto" and device.type == "cpu" and _has_amx_bf16():
        return torch.bfloat16
    return torch.float32


def _has_amx_bf16() -> bool:
    try:
        return bool(torch.cpu.get_capabilities().get("amx_bf16"))
    except Exception:  # an older torch without get_capabilities: stay exact
        return False
