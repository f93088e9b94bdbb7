"""/classification/embeddings: class-seeded clustering over sentence embeddings."""

from __future__ import annotations

from fastapi import APIRouter, status

from binnr.api.deps import EngineDep, SettingsDep, WarehouseDep, accepted
from binnr.api.errors import errors
from binnr.api.links import queued
from binnr.api.schemas import ClusterRequest, TaskAccepted
from binnr.params import ClusterParams
from binnr.services.cluster import check_cluster
from binnr.services.embedders import check_embedding_model

router = APIRouter(prefix="/classification/embeddings", tags=["embeddings"])


@router.post(
    "/cluster",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=TaskAccepted,
    operation_id="embeddings_cluster",
    responses={**queued(), **errors(400, 404, 422, 502)},
)
def cluster(
    body: ClusterRequest, engine: EngineDep, warehouse: WarehouseDep, settings: SettingsDep
) -> TaskAccepted:
    """Embed ``source``, cluster seeded by the labelled classes, label the unlabelled rows."""
    params = body.job_params(ClusterParams)
    check_cluster(warehouse=warehouse, params=params)
    check_embedding_model(settings=settings, warehouse=warehouse, model=params.embedding_model)
    record = engine.submit(kind="embeddings.cluster", params=params)
    return accepted(record, warehouse, body)
