"""Job parameters: one pydantic model per job kind, with defaults and bounds stated once.

The same model is the request body (or is built from it by the route), what the job record
stores (``model_dump``), what the job function receives (validated again when the job starts,
so a record written by an older version fails with a clear error), what the CLI sends, and the
source of the generated parameter tables in ``docs/``.
"""

from binnr.params.base import JobParams, RequestLocation, describe_fields
from binnr.params.cluster import ClusterParams
from binnr.params.data import ClassificationTablesParams, SleepParams, UploadParams
from binnr.params.gbm import GbmTrainParams, PredictParams
from binnr.params.llm import LlmPromptParams, LlmTrainJobParams, LlmTrainParams

__all__ = [
    "ClassificationTablesParams",
    "ClusterParams",
    "GbmTrainParams",
    "JobParams",
    "LlmPromptParams",
    "LlmTrainJobParams",
    "LlmTrainParams",
    "PredictParams",
    "RequestLocation",
    "SleepParams",
    "UploadParams",
    "describe_fields",
]
