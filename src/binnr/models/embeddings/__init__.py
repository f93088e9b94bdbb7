"""Sentence embeddings: the :class:`Embedder` interface and the local provider.

``get_embedder(settings)`` returns the local provider (all-MiniLM-L6-v2 by default) on the
fastest backend available (OpenVINO, then ONNX Runtime, then PyTorch). Snowflake's Cortex
embeddings run in SQL; see :mod:`binnr.backends.snowflake.cortex_embedder`. Importing this
package switches the Hugging Face libraries to offline mode unless the environment says otherwise.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from binnr.models.embeddings.base import (
    BUILTIN_MODEL,
    Backend,
    Embedder,
    resolve_model_dir,
    vector_key,
)
from binnr.models.embeddings.local import get_embedder

__all__ = [
    "BUILTIN_MODEL",
    "Backend",
    "Embedder",
    "get_embedder",
    "resolve_model_dir",
    "vector_key",
]
