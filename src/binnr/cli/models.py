"""Client commands for models: train gbm, predict, models, accuracy."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from binnr.cli.app import app, job_body, train_app
from binnr.cli.client import console, finish
from binnr.cli.data import ApiKeyOpt, DbOpt, SchemaOpt, UrlOpt, WaitOpt, client, location
from binnr.params import GbmTrainParams, PredictParams


@train_app.command("gbm")
def train_gbm(
    training_table: Annotated[str, typer.Argument(help="e.g. tweets_source_target_train")],
    validation_table: Annotated[str | None, typer.Option(help="Evaluate on this table")] = None,
    params: Annotated[str | None, typer.Option(help="JSON, e.g. '{\"num_rounds\": 200}'")] = None,
    database: DbOpt = None,
    schema: SchemaOpt = None,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
    wait: WaitOpt = True,
) -> None:
    """Train binnr's text GBM; prints the model name and metrics."""
    body = job_body(
        GbmTrainParams,
        training_table=training_table,
        validation_table=validation_table,
        params=json.loads(params) if params else None,
        **location(database, schema),
    )
    c = client(url, api_key)
    finish(c, c.request("POST", "/classification/gbm/train", json=body)["task_id"], wait=wait)


@app.command()
def predict(
    model_name: Annotated[str, typer.Argument(help="A model from `binnr models`")],
    predict_table: Annotated[str, typer.Argument(help="Table with a source column")],
    database: DbOpt = None,
    schema: SchemaOpt = None,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
    wait: WaitOpt = True,
) -> None:
    """Predict a table with a GBM or LLM model; prints the results table."""
    c = client(url, api_key)
    kind = c.request("GET", f"/models/{model_name}")["kind"]
    body = job_body(
        PredictParams,
        model_name=model_name,
        predict_table=predict_table,
        **location(database, schema),
    )
    finish(c, c.request("POST", f"/classification/{kind}/predict", json=body)["task_id"], wait=wait)


@app.command()
def models(
    name: Annotated[str | None, typer.Argument(help="Show one model")] = None,
    delete: Annotated[bool, typer.Option("--delete", help="Delete the model")] = False,
    activate: Annotated[
        bool, typer.Option("--activate", help="Make it its family's active model")
    ] = False,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """List models, show one, delete or activate it."""
    c = client(url, api_key)
    if name and delete:
        c.request("DELETE", f"/models/{name}")
        console.print(f"deleted {name}")
    elif name and activate:
        console.print_json(data=c.request("POST", f"/models/{name}/activate"))
    elif name:
        console.print_json(data=c.request("GET", f"/models/{name}"))
    else:
        out = Table("model", "kind", "active", "accuracy", "macro F1", "created")
        for m in c.request("GET", "/models"):
            metrics = m.get("metrics") or {}
            out.add_row(
                m["name"],
                m["kind"],
                "yes" if m["active"] else "",
                _fmt(metrics.get("accuracy")),
                _fmt(metrics.get("macro_f1")),
                m["created_at"][:19],
            )
        console.print(out)


@app.command()
def accuracy(
    model_name: Annotated[str, typer.Argument(help="Model")],
    results_table: Annotated[str | None, typer.Option(help="Score this results table")] = None,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """Accuracy and per-class figures of a model or of a results table."""
    params = {"results_table": results_table} if results_table else {}
    console.print_json(
        data=client(url, api_key).request("GET", f"/models/{model_name}/accuracy", params=params)
    )


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, int | float) else ""
