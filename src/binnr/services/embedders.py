"""Which embedder a job uses: the table of embedding providers and the default rule."""

from __future__ import annotations

from collections.abc import Callable

from binnr.backends.snowflake.cortex_embed_sql import DEFAULT_MODEL as CORTEX_DEFAULT_MODEL
from binnr.backends.snowflake.cortex_embedder import CortexEmbedder
from binnr.models.embeddings.base import Embedder
from binnr.models.embeddings.local import get_embedder
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
