"""Client commands for judging methods: compare (the leaderboard) and label-issues."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from binnr.cli.app import app, field_help, job_body
from binnr.cli.client import console, finish
from binnr.cli.data import DbOpt, SchemaOpt, UrlOpt, WaitOpt, client, location
from binnr.params.compare import CompareParams


@app.command()
def compare(
    input_table: Annotated[str, typer.Argument(help="e.g. tweets_source_target")],
    test_fraction: Annotated[
        float | None, typer.Option(help=field_help(CompareParams, "test_fraction"))
    ] = None,
    seed: Annotated[int | None, typer.Option(help=field_help(CompareParams, "seed"))] = None,
    include_llm: Annotated[
        bool, typer.Option("--include-llm", help=field_help(CompareParams, "include_llm"))
    ] = False,
    llm_max_steps: Annotated[
        int | None, typer.Option(help=field_help(CompareParams, "llm_max_steps"))
    ] = None,
    database: DbOpt = None,
    schema: SchemaOpt = None,
    url: UrlOpt = None,
    wait: WaitOpt = True,
) -> None:
    """Train and score every method on one split of a table's labelled rows."""
    body = job_body(
        CompareParams,
        input_table=input_table,
        test_fraction=test_fraction,
        seed=seed,
        include_llm=include_llm or None,
        llm_max_steps=llm_max_steps,
        **location(database, schema),
    )
    c = client(url)
    task_id = c.request("POST", "/classification/compare", json=body)["task_id"]
    if not wait:
        finish(c, task_id, wait=False)
        return
    job = c.wait(task_id)
    if job["status"] != "succeeded":
        finish(c, task_id, wait=True)
        return
    _print_leaderboard(job["result"], input_table)


def _print_leaderboard(result: dict[str, Any], input_table: str) -> None:
    columns = ("macro_f1", "accuracy", "log_loss", "ece", "train_seconds", "predict_seconds")
    out = Table(
        "method", "macro F1", "accuracy", "log-loss", "ECE", "train s", "predict s",
        title=f"compare_{input_table} ({result['test_rows']} test rows)",
    )  # fmt: skip
    for row in result["methods"]:
        out.add_row(row["method"], *(_fmt(row[k]) for k in columns))
    console.print(out)


@app.command("label-issues")
def label_issues(
    model_name: Annotated[str, typer.Argument(help="A model from `binnr models`")],
    limit: Annotated[int, typer.Option(help="Rows to show")] = 20,
    url: UrlOpt = None,
) -> None:
    """The labelled rows whose given label the model doubts most."""
    found = client(url).request(
        "GET", "/classification/gbm/label-issues", params={"model_name": model_name, "limit": limit}
    )
    out = Table(
        "rank",
        "given",
        "suggested",
        "quality",
        "text",
        title=f"{found['table']}: {found['total']} flagged",
    )
    for row in found["rows"]:
        text = str(row["source"])
        out.add_row(
            str(row["rank"]),
            row["given_label"],
            row["suggested_label"],
            _fmt(row["label_quality"]),
            text[:80] + ("…" if len(text) > 80 else ""),
        )
    console.print(out)


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, int | float) else ""
