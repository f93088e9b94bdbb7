"""/classification/embeddings: class-seeded clustering over sentence embeddings."""

from __future__ import annotations

from fastapi import APIRouter, status

from binnr.api.deps import EngineDep, WarehouseDep, location_notes
from binnr.api.schemas import TaskAccepted
from binnr.api.schemas_classification import ClusterRequest
from binnr.services.cluster import check_cluster

router = APIRouter(prefix="/classification/embeddings", tags=["embeddings"])


@router.post(
    "/cluster",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=TaskAccepted,
    operation_id="embeddings_cluster",
)
def cluster(body: ClusterRequest, engine: EngineDep, warehouse: WarehouseDep) -> TaskAccepted:
    """Embed ``source``, cluster seeded by the labelled classes, label the unlabelled rows."""
    params = body.model_dump(exclude={"schema_", "warehouse", "role"})
    params["schema"] = body.schema_
    check_cluster(warehouse=warehouse, params=params)
    record = engine.submit(kind="embeddings.cluster", params=params)
    notes = location_notes(warehouse, warehouse_name=body.warehouse, role=body.role)
    return TaskAccepted(task_id=record.id, notes=notes)
