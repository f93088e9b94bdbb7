"""Parameters of the supervised classifier jobs (the original's "GBM" routes) and of predict."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from binnr.models.ensemble.params import AutoParams
from binnr.models.gbm_params import GbmParams
from binnr.params.base import JobParams
from binnr.params.fields import ColumnName, ModelName, TableName

ClassifierEngineName = Literal["local", "snowflake_ml"]
#: Keys only today's text GBM has: a body that uses them asks for ``model="lightgbm"``.
_GBM_ONLY = tuple(k for k in GbmParams.model_fields if k not in AutoParams.model_fields)
_SHARED = tuple(k for k in GbmParams.model_fields if k in AutoParams.model_fields)


class ClassifierParams(AutoParams):
    """``params`` of ``POST /classification/gbm/train``.

    ``model``: ``auto`` (default) trains the stacked ensemble and keeps whichever of the stack
    and its base models scores best on held-out rows; ``linear``, ``embeddings`` and ``stack``
    force one of them; ``lightgbm`` is binnr's original text GBM (chi²-selected n-grams into
    LightGBM), whose knobs are in ``lightgbm``. A body written for the original GBM
    (``{"num_rounds": 200}``, ``{"features": "text+embeddings"}``) still means that model.
    """

    lightgbm: GbmParams = Field(
        default_factory=GbmParams, description="Knobs of model='lightgbm' (docs/gbm.md)"
    )

    @model_validator(mode="before")
    @classmethod
    def _original_keys(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not any(k in data for k in _GBM_ONLY):
            return data
        out = {k: v for k, v in data.items() if k not in _GBM_ONLY}
        legacy = {k: data[k] for k in (*_GBM_ONLY, *_SHARED) if k in data}
        out.setdefault("model", "lightgbm")
        out["lightgbm"] = {**dict(data.get("lightgbm") or {}), **legacy}
        return out


class GbmTrainParams(JobParams):
    """``gbm.train``: train a classifier on a ``*_train`` table."""

    training_table: TableName = Field(description="A *_source_target_train table")
    validation_table: TableName | None = Field(
        default=None, description="Evaluate on this table (default: a holdout of the training rows)"
    )
    target_column: ColumnName | None = Field(
        default=None, description="Label column; found from the label table when omitted"
    )
    params: ClassifierParams = Field(
        default_factory=ClassifierParams,
        description="Model parameters (docs/gbm.md); unknown keys → 422",
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
