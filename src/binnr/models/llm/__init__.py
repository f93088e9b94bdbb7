"""In-process LLM clients: fine-tune, classify into a label set and answer prompts.

``local`` (transformers + LoRA, :mod:`.local`) and ``openai`` (any OpenAI-compatible server,
:mod:`.openai`). The providers the service picks from, Cortex included, are in
:mod:`binnr.services.llm.providers`. Importing this package switches the
Hugging Face libraries to offline mode unless the environment says otherwise: binnr never
downloads models.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from binnr.models.llm.base import (
    BUILTIN_MODEL,
    DEFAULT_MODELS,
    Classification,
    FinetuneOptions,
    LLMClient,
    ProviderName,
    bundled_gguf,
    configured_names,
    default_model,
    resolve_model_type,
)
from binnr.models.llm.labels import instruction_prompt, parse_label

__all__ = [
    "BUILTIN_MODEL",
    "DEFAULT_MODELS",
    "Classification",
    "FinetuneOptions",
    "LLMClient",
    "ProviderName",
    "bundled_gguf",
    "configured_names",
    "default_model",
    "instruction_prompt",
    "parse_label",
    "resolve_model_type",
]
