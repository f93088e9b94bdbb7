"""Parameters of the embeddings clustering job."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from binnr.params.base import JobParams


class ClusterParams(JobParams):
    """``embeddings.cluster``: embed ``source``, cluster seeded by the labelled classes."""

    input_table: str = Field(description="A *_source_target table (labelled + unlabelled rows)")
    number_of_iterations: int = Field(default=2, ge=1, description="Clustering iterations (≥ 1)")
    embedding_model: str | None = Field(
        default=None, description="Local path or hub id; default BINNR_EMBEDDING_MODEL"
    )
    n_components: int | None = Field(default=500, ge=2, description="PCA dimensions; null = none")
    algorithm: Literal["pinned", "seed"] = Field(
        default="pinned",
        description="pinned: class-aligned (default); seed: the original's seeded KMeans",
    )
    seed: int = Field(default=0, description="Seed of the hidden evaluation split")
