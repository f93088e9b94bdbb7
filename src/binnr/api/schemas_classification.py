"""Request and response models of the classification routes (the original's field names)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from binnr.api.schemas import Location


class GbmTrainRequest(Location):
    """Body of ``POST /classification/gbm/train``."""

    training_table: str
    validation_table: str | None = None
    target_column: str | None = Field(
        default=None, description="Label column; found from the label table when omitted"
    )
    params: dict[str, Any] = Field(
        default_factory=dict, description="GBM parameters (see docs/gbm.md); unknown keys → 422"
    )


class PredictRequest(Location):
    """Body of the predict routes."""

    model_name: str
    predict_table: str


class ModelSummary(BaseModel):
    """One model in ``GET /models``."""

    name: str
    kind: str
    family: str
    active: bool
    created_at: str
    metrics: dict[str, Any] | None = None


class ModelDetail(ModelSummary):
    """One model with all its metadata."""

    metadata: dict[str, Any]


class ClusterRequest(Location):
    """Body of ``POST /classification/embeddings/cluster``."""

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
    seed: int = 0
