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
    engine: Literal["local", "snowflake_ml"] = Field(
        default="local",
        description="local: binnr's text GBM (default, every warehouse); snowflake_ml: the "
        "original's SNOWFLAKE.ML.CLASSIFICATION (Snowflake only; treats text as categorical)",
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


class LlmTrainRequest(Location):
    """Body of ``POST /classification/llm/train`` (the original's fields plus tuning knobs)."""

    training_table: str
    validation_table: str | None = None
    target_column: str = Field(description="The label text column (the completion)")
    model_type: str | None = Field(
        default=None,
        description="Base model name (built in: smollm2-135m; more via BINNR_LLM_MODELS)",
    )
    epochs: float | None = Field(default=None, gt=0)
    max_steps: int | None = Field(default=None, ge=1)
    learning_rate: float | None = Field(default=None, gt=0)
    lora_r: int | None = Field(default=None, ge=1)
    batch_size: int | None = Field(default=None, ge=1)


class LlmTrainAccepted(BaseModel):
    """The original's answer: the task, the job to check, and the model's name."""

    task_id: str
    job_id: str
    model_name: str
    notes: list[str] = Field(default_factory=list)


class LlmTrainCheck(BaseModel):
    """The original's ``{job_status, progress}`` plus steps, losses and ETA."""

    job_id: str
    job_status: str
    progress: float
    step: int | None = None
    total_steps: int | None = None
    train_loss: float | None = None
    eval_loss: float | None = None
    eta_seconds: float | None = None
    model_name: str | None = None
    error: dict[str, str] | None = None


class LlmResponse(BaseModel):
    """A completion from ``GET /classification/llm/response``."""

    model_name: str | None
    provider: str
    response: str
