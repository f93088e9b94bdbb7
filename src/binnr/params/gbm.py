"""Parameters of the supervised classifier jobs (the original's "GBM" routes) and of predict."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from binnr.models.gbm import GbmParams
from binnr.params.base import JobParams
from binnr.params.fields import ColumnName, ModelName, TableName

ClassifierEngineName = Literal["local", "snowflake_ml"]


class GbmTrainParams(JobParams):
    """``gbm.train``: train a classifier on a ``*_train`` table."""

    training_table: TableName = Field(description="A *_source_target_train table")
    validation_table: TableName | None = Field(
        default=None, description="Evaluate on this table (default: a holdout of the training rows)"
    )
    target_column: ColumnName | None = Field(
        default=None, description="Label column; found from the label table when omitted"
    )
    params: GbmParams = Field(
        default_factory=GbmParams, description="Model parameters (docs/gbm.md); unknown keys → 422"
    )
    engine: ClassifierEngineName = Field(
        default="local",
        description="local: binnr's text GBM (default, every warehouse); snowflake_ml: the "
        "original's SNOWFLAKE.ML.CLASSIFICATION (Snowflake only; treats text as categorical)",
    )


class PredictParams(JobParams):
    """``gbm.predict`` and ``llm.predict``: label every row of a table with a model."""

    model_name: ModelName = Field(description="A registered model (GET /models)")
    predict_table: TableName = Field(description="A table with a source column")
