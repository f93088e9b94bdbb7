"""Every job kind binnr runs: name, parameter model and function, imported explicitly."""

from __future__ import annotations

from binnr.jobs.kinds import JobKind, KindTable
from binnr.params.cluster import ClusterParams
from binnr.params.compare import CompareParams
from binnr.params.data import ClassificationTablesParams, SleepParams, UploadParams
from binnr.params.gbm import GbmTrainParams, PredictParams
from binnr.params.llm import LlmTrainJobParams
from binnr.services.classifier.service import gbm_predict_job, gbm_train_job
from binnr.services.cleanup import worker_sweep
from binnr.services.cluster import cluster_job
from binnr.services.compare import compare_job
from binnr.services.llm.service import llm_predict_job, llm_train_job
from binnr.services.sleep import sleep_job
from binnr.services.tables import classification_tables_job
from binnr.services.upload import upload_job

JOB_KINDS = KindTable(
    [
        JobKind("upload", UploadParams, upload_job),
        JobKind("classification_tables", ClassificationTablesParams, classification_tables_job),
        JobKind("gbm.train", GbmTrainParams, gbm_train_job),
        JobKind("gbm.predict", PredictParams, gbm_predict_job),
        JobKind("llm.train", LlmTrainJobParams, llm_train_job),
        JobKind("llm.predict", PredictParams, llm_predict_job),
        JobKind("embeddings.cluster", ClusterParams, cluster_job),
        JobKind("compare", CompareParams, compare_job),
        JobKind("sleep", SleepParams, sleep_job),
    ],
    sweep=worker_sweep,
)
