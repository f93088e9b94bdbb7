"""The Typer application objects; command modules add their commands to them."""

from __future__ import annotations

from typing import Any

import typer

from binnr.params.base import JobParams

app = typer.Typer(help="binnr: text classification over warehouse tables.", no_args_is_help=True)
train_app = typer.Typer(help="Train a model (gbm, llm).", no_args_is_help=True)
app.add_typer(train_app, name="train")


def job_body(model: type[JobParams], **values: Any) -> dict[str, Any]:
    """A request body checked here by the job's own parameter model (same defaults, bounds and
    messages as the server); only the values given (not None) are sent."""
    given = {k: v for k, v in values.items() if v is not None}
    return model.parse(given, what="options").model_dump(
        mode="json", by_alias=True, exclude_unset=True
    )


def field_help(model: type[JobParams], name: str) -> str:
    """A parameter's description, for the option's help text."""
    return model.model_fields[name].description or ""
