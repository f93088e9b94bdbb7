"""Parameters of the embeddings clustering job."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from binnr.params.base import JobParams
from binnr.params.fields import ModelRef, Seed, TableName

#: PCA dimensions: MiniLM has 384, the largest common sentence encoders 4096.
MAX_COMPONENTS = 4096
#: Iterations move the class means towards the unlabelled rows; they settle within tens.
MAX_ITERATIONS = 1000


class ClusterParams(JobParams):
    """``embeddings.cluster``: embed ``source``, cluster seeded by the labelled classes."""

    input_table: TableName = Field(
        description="A *_source_target table (labelled + unlabelled rows)"
    )
    number_of_iterations: int = Field(
        default=2, ge=1, le=MAX_ITERATIONS, description="Clustering iterations"
    )
    embedding_model: ModelRef | None = Field(
        default=None, description="Local path or hub id; default BINNR_EMBEDDING_MODEL"
    )
    n_components: int | None = Field(
        default=500,
        ge=2,
        le=MAX_COMPONENTS,
        description="PCA dimensions (capped by the embedding size and the rows); null = none",
    )
    algorithm: Literal["pinned", "seed"] = Field(
        default="pinned",
        description="pinned: class-aligned (default); seed: the original's seeded KMeans",
    )
    seed: Seed = Field(default=0, description="Seed of the hidden evaluation split")
