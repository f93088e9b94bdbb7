"""/classification/compare: the method leaderboard on one table."""

from __future__ import annotations

from fastapi import APIRouter, status

from binnr.api.deps import EngineDep, WarehouseDep, accepted
from binnr.api.errors import errors
from binnr.api.links import queued
from binnr.api.schemas import CompareRequest, TaskAccepted
from binnr.params.compare import CompareParams
from binnr.services.label_map import require_columns

router = APIRouter(prefix="/classification", tags=["compare"])


@router.post(
    "/compare",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=TaskAccepted,
    operation_id="compare_methods",
    responses={**queued(), **errors(400, 404, 422, 502)},
)
def compare(body: CompareRequest, engine: EngineDep, warehouse: WarehouseDep) -> TaskAccepted:
    """Train and score every method on one split; the job writes ``compare_<input_table>``."""
    params = body.job_params(CompareParams)
    require_columns(warehouse, params.ref(warehouse, params.input_table))
    record = engine.submit(kind="compare", params=params)
    return accepted(record, warehouse, body)
