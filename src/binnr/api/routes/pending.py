"""Routes of the original API whose classifiers have not landed yet: a clear ``501``."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter

from binnr.errors import NotImplementedYet

_PENDING = [
    ("POST", "/classification/gbm/train", "gbm_train"),
    ("POST", "/classification/gbm/predict", "gbm_predict"),
    ("GET", "/classification/gbm/info", "gbm_info"),
    ("GET", "/classification/gbm/accuracy", "gbm_accuracy"),
    ("POST", "/classification/llm/train", "llm_train"),
    ("GET", "/classification/llm/train/check", "llm_train_check"),
    ("POST", "/classification/llm/predict", "llm_predict"),
    ("GET", "/classification/llm/response", "llm_response"),
    ("POST", "/classification/embeddings/cluster", "embeddings_cluster"),
]


def _pending(path: str) -> Callable[[], None]:
    def handler() -> None:
        raise NotImplementedYet(f"{path} is not implemented in this version of binnr.")

    return handler


def include_pending(router_paths: set[tuple[str, str]]) -> APIRouter:
    """A router with a 501 handler for each original route not already served."""
    pending = APIRouter(tags=["classification"])
    for method, path, op in _PENDING:
        if (method, path) not in router_paths:
            pending.add_api_route(
                path,
                _pending(path),
                methods=[method],
                operation_id=op,
                status_code=501,
            )
    return pending
