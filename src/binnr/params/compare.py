"""Parameters of the method leaderboard job (``POST /classification/compare``)."""

from __future__ import annotations

from pydantic import Field

from binnr.params.base import JobParams
from binnr.params.fields import Seed, TableName


class CompareParams(JobParams):
    """``compare``: one stratified split of a table's labelled rows; every method trained on
    one side and scored on the other with the same metrics."""

    input_table: TableName = Field(
        description="A *_source_target table (labelled + unlabelled rows)"
    )
    test_fraction: float = Field(
        default=0.2, gt=0, lt=1, description="Stratified share of labelled rows scored"
    )
    seed: Seed = Field(default=0, description="Seed of the split")
    include_llm: bool = Field(
        default=False,
        description="Also the local LLM, zero-shot and LoRA-tuned (slow on a CPU)",
    )
    llm_max_steps: int = Field(
        default=60, ge=1, le=10_000, description="LoRA fine-tuning steps when include_llm"
    )
    llm_max_rows: int = Field(
        default=300, ge=10, le=100_000, description="Test rows the LLMs label (they are slow)"
    )
