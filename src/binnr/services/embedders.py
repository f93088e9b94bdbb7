"""Which embedder a job uses: the table of embedding providers and the default rule."""

from __future__ import annotations

from collections.abc import Callable

from binnr.backends.snowflake.cortex_embed_sql import DEFAULT_MODEL as CORTEX_DEFAULT_MODEL
from binnr.backends.snowflake.cortex_embedder import CortexEmbedder
from binnr.models.embeddings.base import Embedder, resolve_model_dir
from binnr.models.embeddings.local import get_embedder
from binnr.models.paths import model_roots
from binnr.settings import Settings
from binnr.warehouse.base import Warehouse
from binnr.warehouse.names import TableRef

EmbedderFactory = Callable[[Settings, Warehouse, TableRef, str | None], Embedder]


def _local(settings: Settings, warehouse: Warehouse, near: TableRef, model: str | None) -> Embedder:
    return get_embedder(settings, name=model)


def _cortex(
    settings: Settings, warehouse: Warehouse, near: TableRef, model: str | None
) -> Embedder:
    return CortexEmbedder(warehouse=warehouse, near=near, model=model or CORTEX_DEFAULT_MODEL)


EMBEDDERS: dict[str, EmbedderFactory] = {"local": _local, "cortex": _cortex}


def embedder_for(
    *, settings: Settings, warehouse: Warehouse, near: TableRef, model: str | None
) -> Embedder:
    """``BINNR_EMBEDDING_PROVIDER``, else Cortex on a warehouse that has it, else local."""
    default = "cortex" if warehouse.has_cortex else "local"
    return EMBEDDERS[settings.embedding_provider or default](settings, warehouse, near, model)


def check_embedding_model(*, settings: Settings, warehouse: Warehouse, model: str | None) -> None:
    """Before queuing: a local model named by the request resolves under the allowed roots
    (422 now rather than a failed job later; the job applies the same rule)."""
    provider = settings.embedding_provider or ("cortex" if warehouse.has_cortex else "local")
    if provider == "local" and model and model != settings.embedding_model:
        resolve_model_dir(model, roots=model_roots(settings))
