"""Client commands for LLMs: train llm, llm check, llm ask."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from binnr.backends.snowflake.cortex_llm_sql import FINAL_STATUSES
from binnr.cli.app import app, job_body, train_app
from binnr.cli.client import console, err_console
from binnr.cli.data import ApiKeyOpt, DbOpt, SchemaOpt, UrlOpt, WaitOpt, client, location
from binnr.params import LlmTrainParams

llm_app = typer.Typer(help="LLM fine-tuning status and free prompts.", no_args_is_help=True)
app.add_typer(llm_app, name="llm")


@train_app.command("llm")
def train_llm(
    training_table: Annotated[str, typer.Argument(help="e.g. tweets_source_target_train")],
    target_column: Annotated[str, typer.Option(help="Label text column (the completion)")],
    validation_table: Annotated[str | None, typer.Option(help="Evaluate on this table")] = None,
    model_type: Annotated[
        str | None, typer.Option(help="Base model (default smollm2-135m)")
    ] = None,
    max_steps: Annotated[int | None, typer.Option(help="Training steps")] = None,
    epochs: Annotated[float | None, typer.Option(help="Epochs (max_steps wins)")] = None,
    learning_rate: Annotated[float | None, typer.Option(help="Learning rate")] = None,
    lora_r: Annotated[int | None, typer.Option(help="LoRA rank")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Batch size")] = None,
    database: DbOpt = None,
    schema: SchemaOpt = None,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
    wait: WaitOpt = True,
) -> None:
    """Fine-tune an LLM on source → label; prints the model name (and waits, with --wait)."""
    body = job_body(
        LlmTrainParams,
        training_table=training_table,
        target_column=target_column,
        validation_table=validation_table,
        model_type=model_type,
        max_steps=max_steps,
        epochs=epochs,
        learning_rate=learning_rate,
        lora_r=lora_r,
        batch_size=batch_size,
        **location(database, schema),
    )
    c = client(url, api_key)
    accepted = c.request("POST", "/classification/llm/train", json=body)
    console.print(f"model_name: {accepted['model_name']}\njob_id: {accepted['job_id']}")
    if wait:
        _watch(c, accepted["job_id"])


@llm_app.command("check")
def check(
    job_id: Annotated[str, typer.Argument(help="job_id from `binnr train llm`")],
    watch: Annotated[bool, typer.Option("--watch", help="Follow until it ends")] = False,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """Fine-tuning status: job_status, progress, step, losses, ETA."""
    c = client(url, api_key)
    if watch:
        _watch(c, job_id)
    else:
        console.print_json(
            data=c.request("GET", "/classification/llm/train/check", params={"job_id": job_id})
        )


def _watch(c: Any, job_id: str) -> None:
    while True:
        state = c.request("GET", "/classification/llm/train/check", params={"job_id": job_id})
        loss = state.get("train_loss")
        console.print(
            f"{state['job_status']:<12} {state['progress'] * 100:5.1f}%  "
            f"step {state.get('step') or '-'}/{state.get('total_steps') or '-'}  "
            f"loss {loss if loss is not None else '-'}  eta {state.get('eta_seconds') or '-'}s"
        )
        if state["job_status"] in FINAL_STATUSES:
            if state["job_status"] != "SUCCESS":
                err_console.print(f"[red]{(state.get('error') or {}).get('message', '')}[/red]")
                raise typer.Exit(1)
            return
        time.sleep(2.0)


@llm_app.command("ask")
def ask(
    prompt: Annotated[str, typer.Argument(help="The prompt")],
    model_name: Annotated[
        str | None, typer.Option(help="A fine-tuned model or a base model")
    ] = None,
    role: str = "user",
    temperature: float = 0.1,
    max_tokens: int = 100,
    top_p: float = 0.0,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """Answer a free prompt (GET /classification/llm/response)."""
    params: dict[str, Any] = {
        "llm_prompt": prompt,
        "llm_role": role,
        "llm_temperature": temperature,
        "llm_max_tokens": max_tokens,
        "llm_top_p": top_p,
    }
    if model_name:
        params["model_name"] = model_name
    answer = client(url, api_key).request("GET", "/classification/llm/response", params=params)
    console.print(answer["response"])
