"""LLM providers: fine-tune, classify into a label set and answer prompts.

``local`` (transformers + LoRA), ``openai`` (any OpenAI-compatible server) and ``cortex``
(Snowflake SQL builders in :mod:`binnr.models.llm.cortex`). Importing this package switches the
Hugging Face libraries to offline mode unless the environment says otherwise: binnr never
downloads models.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from binnr.errors import NotSupported
from binnr.models.llm.base import (
    BUILTIN_MODEL,
    DEFAULT_MODELS,
    Classification,
    FinetuneOptions,
    LLMProvider,
    ProviderName,
    bundled_gguf,
    configured_names,
    default_model,
    resolve_model_type,
)
from binnr.models.llm.labels import instruction_prompt, parse_label
from binnr.settings import Settings

__all__ = [
    "BUILTIN_MODEL",
    "DEFAULT_MODELS",
    "Classification",
    "FinetuneOptions",
    "LLMProvider",
    "ProviderName",
    "bundled_gguf",
    "configured_names",
    "default_model",
    "get_provider",
    "instruction_prompt",
    "parse_label",
    "resolve_model_type",
]


def get_provider(*, settings: Settings, name: ProviderName | None = None) -> LLMProvider:
    """The provider ``name`` (default: ``settings.llm_provider``, else ``local``).

    ``cortex`` has no in-process provider: it runs inside Snowflake through the SQL built by
    :mod:`binnr.models.llm.cortex`, so asking for it here raises :class:`NotSupported`.
    """
    kind = name or settings.llm_provider or "local"
    if kind == "local":
        from binnr.models.llm.local import LocalProvider

        return LocalProvider(settings=settings)
    if kind == "openai":
        from binnr.models.llm.openai import OpenAIProvider

        return OpenAIProvider(settings=settings)
    raise NotSupported(
        f"The {kind} LLM provider has no in-process client.",
        hint="Cortex runs in Snowflake: use the SQL builders in binnr.models.llm.cortex.",
    )
