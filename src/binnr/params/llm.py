"""Parameters of the LLM job and of the free-prompt route."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from binnr.models.llm.base import FinetuneOptions
from binnr.params.base import JobParams
from binnr.params.fields import MAX_MODEL_NAME, ColumnName, ModelName, ModelRef, TableName

#: Answer length cap of the free prompt: it is generated inside the request, on the CPU.
MAX_PROMPT_TOKENS = 1024

Role = Literal["system", "user", "assistant"]


class LlmTrainParams(JobParams):
    """``llm.train``: fine-tune a base model on ``source`` → the label text.

    The tuning knobs default to :class:`FinetuneOptions` (None here means "its default").
    """

    training_table: TableName = Field(description="A *_source_target_train table")
    validation_table: TableName | None = Field(default=None, description="Evaluate on this table")
    target_column: ColumnName = Field(description="The label text column (the completion)")
    model_type: ModelRef | None = Field(
        default=None,
        description="Base model name (built in: smollm2-135m; more via BINNR_LLM_MODELS)",
    )
    epochs: float | None = Field(default=None, gt=0, le=100, description="Passes over the data")
    max_steps: int | None = Field(
        default=None, ge=1, le=100_000, description="Optimizer steps (wins over epochs)"
    )
    learning_rate: float | None = Field(default=None, gt=0, le=1.0, description="LoRA rate")
    lora_r: int | None = Field(default=None, ge=1, le=256, description="LoRA rank")
    batch_size: int | None = Field(default=None, ge=1, le=1024, description="Rows per step")

    def options(self) -> FinetuneOptions:
        """The tuning knobs that were given, over :class:`FinetuneOptions`' defaults."""
        keys = ("epochs", "max_steps", "learning_rate", "lora_r", "batch_size")
        given = {k: getattr(self, k) for k in keys if getattr(self, k) is not None}
        return FinetuneOptions(**given)


class LlmTrainJobParams(LlmTrainParams):
    """``llm.train`` as queued: the request's fields plus the model name the server chose
    (``llm_<training_table>_<yyyymmddHHMMSS>_<xxxxxx>``), which the submit answer reported."""

    model_name: ModelName = Field(description="Name the model is registered under")


class LlmPromptParams(BaseModel):
    """``GET /classification/llm/response``: one completion for a free prompt.

    Query parameters the route does not know are ignored, as they always were.
    """

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)

    llm_prompt: str = Field(min_length=1, max_length=100_000, description="The prompt")
    model_name: str | None = Field(
        default=None,
        max_length=MAX_MODEL_NAME,
        description="A registered LLM or a provider model name",
    )
    llm_role: Role = Field(default="user", description="Chat role of the prompt")
    llm_temperature: float = Field(default=0.1, ge=0, le=2, description="Sampling temperature")
    llm_max_tokens: int = Field(
        default=100, ge=1, le=MAX_PROMPT_TOKENS, description="Answer length cap (tokens)"
    )
    llm_top_p: float = Field(
        default=0, ge=0, le=1, description="Nucleus sampling; 0 (the original's) means off"
    )

    @property
    def top_p(self) -> float:
        """The original's 0 means "no nucleus filter", which is 1.0 for the local providers."""
        return self.llm_top_p if self.llm_top_p > 0 else 1.0
