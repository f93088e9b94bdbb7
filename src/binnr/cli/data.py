"""Client commands for data: upload, prepare, tables, show, sql, jobs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from binnr.cli.app import app, job_body
from binnr.cli.client import Client, console, finish
from binnr.params import ClassificationTablesParams
from binnr.settings import get_settings

UrlOpt = Annotated[str | None, typer.Option("--url", help="binnr server (default BINNR_URL)")]
WaitOpt = Annotated[bool, typer.Option("--wait/--no-wait", help="Wait for the job to finish")]
DbOpt = Annotated[str | None, typer.Option(help="Database")]
SchemaOpt = Annotated[str | None, typer.Option("--schema", help="Schema")]
ApiKeyOpt = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        envvar="BINNR_API_KEY",
        show_envvar=True,
        help="API key of the server (default: the first of BINNR_API_KEY / BINNR_API_KEY_FILE)",
    ),
]


def client(url: str | None, api_key: str | None = None) -> Client:
    """A client for ``--url`` or the configured server, sending ``api_key`` when there is one.

    ``BINNR_API_KEY`` may list several keys (the server's format): the first is sent.
    """
    settings = get_settings()
    keys = [k.strip() for k in (api_key or "").split(",") if k.strip()]
    if not keys and settings.api_key_file is not None:
        keys = settings.api_keys()
    return Client(url or settings.base_url, api_key=keys[0] if keys else None)


def location(database: str | None, schema: str | None) -> dict[str, Any]:
    """Non-empty location fields."""
    return {k: v for k, v in {"database": database, "schema": schema}.items() if v}


@app.command()
def upload(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV/CSV.gz/Parquet/JSONL")
    ],
    table: Annotated[str, typer.Option("--table", "-t", help="Target table name")],
    infer_types: Annotated[bool, typer.Option(help="Infer column types")] = False,
    database: DbOpt = None,
    schema: SchemaOpt = None,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
    wait: WaitOpt = True,
) -> None:
    """Upload a file into a table (replaces it atomically)."""
    c = client(url, api_key)
    fields = {
        "table_name": table,
        "infer_types": str(infer_types).lower(),
        **location(database, schema),
    }
    finish(c, c.upload(file, fields)["task_id"], wait=wait)


@app.command()
def prepare(
    table: Annotated[str, typer.Option("--table", "-t", help="Uploaded table")],
    source: Annotated[list[str], typer.Option("--source", "-s", help="Source column (repeat)")],
    target: Annotated[str, typer.Option("--target", help="Label column")],
    template: Annotated[str | None, typer.Option(help="e.g. 'Tweet: {text}'")] = None,
    validation: Annotated[bool, typer.Option(help="Create a validation table")] = False,
    llm_train_source: Annotated[
        bool, typer.Option(help="Append the LLM label instructions")
    ] = False,
    validation_fraction: float = 0.1,
    seed: int = 0,
    database: DbOpt = None,
    schema: SchemaOpt = None,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
    wait: WaitOpt = True,
) -> None:
    """Create the classification tables (labels, source_target, train, validation, predict)."""
    body = job_body(
        ClassificationTablesParams,
        table_name=table,
        source_columns=source,
        target_column=target,
        template=template,
        create_validation=validation,
        llm_train_source=llm_train_source,
        validation_fraction=validation_fraction,
        seed=seed,
        **location(database, schema),
    )
    c = client(url, api_key)
    finish(
        c, c.request("POST", "/data/create/tables/classification", json=body)["task_id"], wait=wait
    )


@app.command()
def tables(
    database: DbOpt = None,
    schema: SchemaOpt = None,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """List tables with row counts."""
    rows = client(url, api_key).request("GET", "/data/tables", params=location(database, schema))
    out = Table("table", "rows", "columns")
    for r in rows:
        out.add_row(r["name"], f"{r['rows']:,}", ", ".join(r["columns"])[:80])
    console.print(out)


@app.command()
def show(
    table: Annotated[str, typer.Argument(help="Table name")],
    limit: int = 20,
    offset: int = 0,
    database: DbOpt = None,
    schema: SchemaOpt = None,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """Show rows of a table."""
    params = {"limit": limit, "offset": offset, **location(database, schema)}
    page = client(url, api_key).request("GET", f"/data/tables/{table}", params=params)
    out = Table(*page["columns"], title=f"{page['name']} ({page['total']:,} rows)")
    for r in page["rows"]:
        out.add_row(*[str(r.get(c, ""))[:60] for c in page["columns"]])
    console.print(out)


@app.command()
def sql(
    statement: Annotated[str, typer.Argument(help="One SQL statement")],
    limit: int = 100,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """Run one SQL statement on the server's warehouse (needs BINNR_ENABLE_SQL=true)."""
    body = {"sql": statement, "limit": limit}
    result = client(url, api_key).request("POST", "/data/sql", json=body)
    if not result["columns"]:
        console.print("OK")
        return
    out = Table(*result["columns"])
    for r in result["rows"]:
        out.add_row(*[str(r.get(c, "")) for c in result["columns"]])
    console.print(out)


@app.command()
def jobs(
    task_id: Annotated[str | None, typer.Argument(help="One job (omit to list recent)")] = None,
    watch: Annotated[
        bool, typer.Option("--watch", help="Follow a job with a progress bar")
    ] = False,
    limit: int = 20,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """List recent jobs, show one, or --watch it until it ends."""
    c = client(url, api_key)
    if task_id and watch:
        finish(c, task_id, wait=True)
        return
    if task_id:
        console.print_json(data=c.request("GET", f"/jobs/status/{task_id}"))
        return
    out = Table("task_id", "kind", "status", "progress", "created")
    for j in c.request("GET", "/jobs", params={"limit": limit}):
        p = j.get("progress") or {}
        out.add_row(
            j["task_id"],
            j["kind"],
            j["status"],
            f"{p.get('percent', 0)}% {p.get('phase', '')}",
            j["created_at"][:19],
        )
    console.print(out)
