"""The Markdown tables ``binnr docs`` writes into ``docs/``: routes, settings, job parameters.

The table functions are pure (an OpenAPI document or pydantic models in, Markdown out) so tests
can feed them anything; the ``*_markdown`` functions at the bottom gather the real inputs.
"""

from __future__ import annotations

import json
import tempfile
import types
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types as at
from pydantic import AliasChoices, BaseModel
from pydantic.fields import FieldInfo

#: Settings without a ``Field(description=...)`` yet get their text here, so the generated
#: table is as complete as the hand-written one it replaced. A description in the code wins.
SETTING_NOTES: dict[str, str] = {
    "home": "Data folder: the DuckDB file, job records, models, caches, upload temp files",
    "warehouse": "Warehouse backend; unset: `snowflake` when `SNOWFLAKE_CONFIG` is set, "
    "else `duckdb`",
    "database": "Default database; unset: DuckDB's main catalog (`binnr`), on Snowflake "
    "`SNOWFLAKE_CONFIG.database`",
    "schema_": "Default schema; unset: `main` on DuckDB, `SNOWFLAKE_CONFIG.schema` on Snowflake",
    "max_upload_mb": "Larger uploads are refused with `413` while streaming",
    "enable_sql": "Enables `POST /data/sql` and `binnr sql` (trusted users only)",
    "job_workers": "Threads of the in-process job engine (and of `binnr worker`)",
    "job_store": "SQLAlchemy URL of the job records; unset: `sqlite:///$BINNR_HOME/jobs.sqlite3`"
    " (use PostgreSQL for Celery workers on several machines)",
    "host": "Interface `binnr serve` listens on",
    "port": "Port `binnr serve` listens on",
    "url": "Server the CLI's client commands talk to; unset: `http://$BINNR_HOST:$BINNR_PORT`",
    "embedding_provider": "`local` (sentence-transformers, offline) or `cortex` "
    "(`SNOWFLAKE.CORTEX.EMBED_TEXT_768` in SQL); unset: `cortex` on Snowflake, else `local`",
    "embedding_model": "Sentence-embedding model: the bundled MiniLM, a local folder or a "
    "hub id (loaded offline)",
    "embedding_backend": "Runtime of the local embedding provider (`auto` picks the fastest)",
    "embedding_batch_size": "Texts per embedding batch",
    "llm_provider": "`local`, `openai` or `cortex`; unset: `cortex` on Snowflake, else `local`",
    "llm_models": "JSON map `model_type` → local path or hub id, added to the built-in "
    "`smollm2-135m`",
    "openai_base_url": "OpenAI-compatible server, e.g. `http://localhost:11434/v1`",
    "openai_api_key": "Key for that server (secret: never logged or returned)",
    "openai_model": "Model name on that server",
    "snowflake_config": "The original's JSON object: `user`, `password`, `account`, "
    "`warehouse`, `database`, `schema`, `role`; setting it selects Snowflake",
    "celery_broker_url": "The original's variable: run jobs on Celery workers "
    "(e.g. `redis://localhost:6379/0`)",
    "celery_result_backend": "The original's variable: Celery's result backend",
    "celery_in_process": "Run a Celery worker thread inside the server process (lets Celery "
    "use the DuckDB file)",
    "celery_queue": "The Celery queue jobs are sent to and workers consume",
    "celery_visibility_timeout": "Seconds before Redis redelivers an unacknowledged job "
    "(12 h); must exceed the longest job",
    "celery_allow_duckdb": "Allow Celery worker processes with a DuckDB warehouse (only for "
    "workers that never open the DuckDB file, e.g. tests)",
    "job_heartbeat_seconds": "How often a Celery worker touches a running job's heartbeat",
    "job_stale_seconds": "A running job whose heartbeat is older than this is marked `interrupted`",
}

#: Constraint class → (its attribute, how to print it).
_BOUNDS: dict[type, tuple[str, str]] = {
    at.Ge: ("ge", "≥ {}"),
    at.Gt: ("gt", "> {}"),
    at.Le: ("le", "≤ {}"),
    at.Lt: ("lt", "< {}"),
    at.MinLen: ("min_length", "length ≥ {}"),
    at.MaxLen: ("max_length", "length ≤ {}"),
}


# -- Markdown helpers ------------------------------------------------------------------------
def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table; ``|`` in a cell is escaped (even in code spans)."""
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for row in rows:
        cells = [" ".join(cell.split("\n")).replace("|", "\\|") for cell in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def code(text: str) -> str:
    return f"`{text}`" if text else ""


def type_text(tp: Any, null: str = "None") -> str:
    """``str | None``, ``a | b`` for a Literal, ``dict[str, str]``: how a reader writes it."""
    origin = get_origin(tp)
    if tp is type(None):
        return null
    if origin is Annotated:  # bounds are shown in their own column
        return type_text(get_args(tp)[0], null)
    if origin is Literal:
        return " | ".join(str(arg) for arg in get_args(tp))
    if origin in (Union, types.UnionType):
        return " | ".join(type_text(arg, null) for arg in get_args(tp))
    if origin is not None:
        args = ", ".join(type_text(arg, null) for arg in get_args(tp))
        return f"{getattr(origin, '__name__', origin)}[{args}]"
    return str(getattr(tp, "__name__", tp))


def default_text(field: FieldInfo, null: str = "None") -> str:
    """The default as one would write it (``false``, ``{}``); nested models: "see below"."""
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return "see below"
    if value is None:
        return code(null)
    if isinstance(value, bool | dict | list):
        return code(json.dumps(value))
    return code(str(value))


def bounds_text(field: FieldInfo) -> str:
    """``≥ 1, ≤ 1024`` from the field's constraints (annotated-types metadata), also those of
    a bounded type inside ``X | None`` and, as ``each: …``, of a list's items."""
    parts = _constraints(field.metadata)
    origin = get_origin(field.annotation)
    for arg in get_args(field.annotation):
        if get_origin(arg) is not Annotated:
            continue
        inner = _constraints(get_args(arg)[1:])
        if origin in (Union, types.UnionType):
            parts += inner
        elif inner:
            parts.append("each: " + ", ".join(inner))
    return ", ".join(parts)


def _constraints(metadata: Iterable[Any]) -> list[str]:
    parts = []
    for item in metadata:
        if isinstance(item, FieldInfo):  # Annotated[str, Field(...)] inside a union or list
            parts += _constraints(item.metadata)
            continue
        for kind, (attr, template) in _BOUNDS.items():
            if isinstance(item, kind):
                parts.append(template.format(getattr(item, attr)))
        if isinstance(pattern := getattr(item, "pattern", None), str):
            parts.append(f"`{pattern}`")
    return parts


def _names(name: str, field: FieldInfo) -> list[str]:
    """What a user may write for the field: its alias (or validation aliases) or its name."""
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return [str(choice) for choice in alias.choices]
    return [str(alias or field.alias or name)]


# -- routes ----------------------------------------------------------------------------------
def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` (``#/components/schemas/X``) until a real schema."""
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _parameters(op: dict[str, Any], spec: dict[str, Any]) -> str:
    """``path: a; query: b, c; body: d`` (``form:`` for the multipart upload)."""
    groups: dict[str, list[str]] = {}
    for param in op.get("parameters", []):
        groups.setdefault(param["in"], []).append(code(param["name"]))
    content = op.get("requestBody", {}).get("content", {})
    for media, label in (("application/json", "body"), ("multipart/form-data", "form")):
        if media in content:
            props = _resolve(content[media]["schema"], spec).get("properties", {})
            groups[label] = [code(name) for name in props]
    return "; ".join(f"{where}: {', '.join(names)}" for where, names in groups.items()) or "–"


def _summary(op: dict[str, Any]) -> str:
    """The description's first line; FastAPI only has ``summary`` when there is no docstring."""
    lines = (op.get("description") or "").strip().splitlines()
    line = lines[0] if lines else str(op.get("summary", ""))
    return line.replace("``", "`")  # docstrings are reST; one backtick is Markdown's code span


def routes_table(spec: dict[str, Any]) -> str:
    """One row per operation of an OpenAPI document, in the app's order."""
    rows = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            success = next((c for c in op.get("responses", {}) if c.startswith("2")), "")
            rows.append(
                [
                    code(method.upper()),
                    code(path),
                    code(op.get("operationId", "")),
                    _summary(op),
                    _parameters(op, spec),
                    code(success),
                ]
            )
    header = ["method", "path", "operation_id", "summary", "parameters", "success"]
    return table(header, rows)


# -- settings --------------------------------------------------------------------------------
def env_name(name: str, field: FieldInfo, prefix: str = "BINNR_") -> str:
    """The variable to set: the validation alias (``SNOWFLAKE_CONFIG``) or prefix + name."""
    if isinstance(field.validation_alias, AliasChoices | str):
        return _names(name, field)[0]
    return f"{prefix}{name.rstrip('_')}".upper()


def settings_table(models: Sequence[type[BaseModel]]) -> str:
    """variable, type, default, description for every field of ``models``, in order."""
    rows = []
    for model in models:
        for name, field in model.model_fields.items():
            variable = code(env_name(name, field))
            if others := [code(n) for n in _names(name, field)[1:]]:
                variable += f" (or {', '.join(others)})"
            text = field.description or SETTING_NOTES.get(name, "")
            rows.append([variable, code(type_text(field.annotation)), default_text(field), text])
    return table(["variable", "type", "default", "description"], rows)


# -- job parameters --------------------------------------------------------------------------
def _nested(tp: Any) -> type[BaseModel] | None:
    """The pydantic model inside ``tp`` (``Model`` or ``Model | None``), if any."""
    for candidate in (tp, *get_args(tp)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def model_tables(title: str, model: type[BaseModel]) -> list[str]:
    """``### title`` and the model's table, then one section per nested model field."""
    rows, nested = [], []
    for name, field in model.model_fields.items():
        names = _names(name, field)
        text = field.description or ""
        if len(names) > 1:  # the original's misspelt keys still work; say so
            text = f"{text} (also accepted: {', '.join(code(n) for n in names[1:])})".strip()
        kind = code(type_text(field.annotation, "null"))
        rows.append([code(names[0]), kind, default_text(field, "null"), bounds_text(field), text])
        if (sub := _nested(field.annotation)) is not None:
            nested.append((f"{title} → {code(names[0])}", sub))
    header = ["field", "type", "default", "bounds", "description"]
    sections = [f"### {title}\n\n{table(header, rows)}"]
    for sub_title, sub in nested:
        sections.extend(model_tables(sub_title, sub))
    return sections


def job_params_tables(kinds: Iterable[tuple[str, type[BaseModel]]]) -> str:
    """One section per job kind (and per nested model), in the given order."""
    sections = (section for name, model in kinds for section in model_tables(code(name), model))
    return "\n\n".join(sections)


# -- the real inputs -------------------------------------------------------------------------
def routes_markdown() -> str:
    from binnr.api.app import create_app  # FastAPI and every job kind: only when asked
    from binnr.settings import Settings

    with tempfile.TemporaryDirectory() as home:
        # No .env: a developer's local settings must not change the committed docs.
        spec = create_app(Settings(home=Path(home), _env_file=None)).openapi()
    return routes_table(spec)


def settings_markdown() -> str:
    from binnr.jobs.celery_app import CeleryOptions
    from binnr.settings import Settings

    return settings_table([Settings, CeleryOptions])


def job_params_markdown() -> str:
    from binnr.services.job_table import JOB_KINDS

    return job_params_tables((kind.name, kind.params) for kind in JOB_KINDS)


#: Block name (``<!-- generated: NAME -->``) → the function that writes its content.
GENERATORS: dict[str, Callable[[], str]] = {
    "routes": routes_markdown,
    "settings": settings_markdown,
    "job-params": job_params_markdown,
}
