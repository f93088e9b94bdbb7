"""OpenAPI links: how the answer of one operation feeds the next (``task_id`` → job status).

Clients and schema-driven tools (Swagger UI, schemathesis' stateful tests) follow them.
"""

from __future__ import annotations

from typing import Any

#: A queued job's answer leads to its status and to cancelling it.
JOB_LINKS: dict[str, Any] = {
    "JobStatus": {
        "operationId": "job_status",
        "parameters": {"task_id": "$response.body#/task_id"},
        "description": "Poll the job this request queued",
    },
    "CancelJob": {
        "operationId": "cancel_job",
        "parameters": {"task_id": "$response.body#/task_id"},
        "description": "Cancel the job this request queued",
    },
}
#: The LLM training answer also leads to the original's training check.
LLM_TRAIN_LINKS: dict[str, Any] = {
    **JOB_LINKS,
    "TrainCheck": {
        "operationId": "llm_train_check",
        "parameters": {"job_id": "$response.body#/job_id"},
        "description": "Check the fine-tuning job (the original's route)",
    },
}


def queued(links: dict[str, Any] = JOB_LINKS) -> dict[int | str, dict[str, Any]]:
    """The ``202`` entry of ``responses=`` for a route that queues a job."""
    return {202: {"description": "The job is queued; poll its status", "links": links}}
