"""Client command: binnr cluster."""

from __future__ import annotations

from typing import Annotated

import typer

from binnr.cli.app import app, job_body
from binnr.cli.client import finish
from binnr.cli.data import ApiKeyOpt, DbOpt, SchemaOpt, UrlOpt, WaitOpt, client, location
from binnr.params import ClusterParams


@app.command()
def cluster(
    input_table: Annotated[str, typer.Argument(help="e.g. tweets_source_target")],
    iterations: Annotated[int, typer.Option("--iterations", "-n", help="number_of_iterations")] = 2,
    algorithm: Annotated[
        str, typer.Option(help="pinned (default) or seed (the original)")
    ] = "pinned",
    embedding_model: Annotated[str | None, typer.Option(help="Local path or hub id")] = None,
    database: DbOpt = None,
    schema: SchemaOpt = None,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
    wait: WaitOpt = True,
) -> None:
    """Cluster a *_source_target table over sentence embeddings and label its unlabelled rows."""
    body = job_body(
        ClusterParams,
        input_table=input_table,
        number_of_iterations=iterations,
        algorithm=algorithm,
        embedding_model=embedding_model,
        **location(database, schema),
    )
    c = client(url, api_key)
    finish(
        c, c.request("POST", "/classification/embeddings/cluster", json=body)["task_id"], wait=wait
    )
