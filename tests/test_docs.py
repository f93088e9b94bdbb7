"""Docs are tested: the generated tables match the code, and every endpoint, setting and job
kind is documented."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import AliasChoices, BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from typer.testing import CliRunner

from binnr.api.app import create_app
from binnr.cli import docs_tables
from binnr.cli.app import app
from binnr.cli.docs import BLOCK, find_docs, render, sync
from binnr.jobs.celery_app import CeleryOptions
from binnr.services.job_table import JOB_KINDS
from binnr.settings import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    """What the code says today, once per module (building the app takes a few seconds)."""
    return {name: make() for name, make in docs_tables.GENERATORS.items()}


@pytest.fixture
def docs_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(DOCS, tmp_path / "docs"))


def _drop_line(path: Path, needle: str) -> None:
    """Remove the one generated-table row that contains ``needle``, as a stale doc would lack it."""
    lines = path.read_text().splitlines(keepends=True)
    rows = [i for i, line in enumerate(lines) if line.startswith("| ") and needle in line]
    assert rows, f"{needle} not in {path.name}"
    del lines[rows[0]]
    path.write_text("".join(lines))


# -- the real docs are current ----------------------------------------------------------------
def test_generated_blocks_are_current(generated: dict[str, str]) -> None:
    problems = sync(DOCS, generated, write=False)
    assert not problems, "stale docs; run `binnr docs`:\n" + "\n".join(problems)


@pytest.mark.parametrize("name", sorted(docs_tables.GENERATORS))
def test_every_generator_has_a_block(name: str) -> None:
    names = {m["name"] for p in DOCS.glob("*.md") for m in BLOCK.finditer(p.read_text())}
    assert name in names, f"no <!-- generated: {name} --> block in docs/"


# -- a missing row makes the check fail -------------------------------------------------------
@pytest.mark.parametrize(
    ("doc", "needle", "block"),
    [
        ("api.md", "`/healthz`", "routes"),
        ("api.md", "`/classification/llm/response`", "routes"),
        ("configuration.md", "`BINNR_HOME`", "settings"),
        ("configuration.md", "`CELERY_BROKER_URL`", "settings"),
        ("jobs.md", "`num_leaves`", "job-params"),
        ("jobs.md", "`number_of_iterations`", "job-params"),
    ],
)
def test_a_missing_row_is_stale_and_rewritten(
    generated: dict[str, str], docs_copy: Path, doc: str, needle: str, block: str
) -> None:
    _drop_line(docs_copy / doc, needle)
    assert sync(docs_copy, generated, write=False) == [f"docs/{doc}: block {block!r} is stale"]
    assert sync(docs_copy, generated, write=True) == []
    assert (docs_copy / doc).read_text() == (DOCS / doc).read_text()


def test_removed_markers_and_unknown_blocks_are_reported(
    generated: dict[str, str], docs_copy: Path
) -> None:
    api = docs_copy / "api.md"
    api.write_text(api.read_text().replace("generated: routes", "generated: nope"))
    problems = sync(docs_copy, generated, write=True)
    assert any("'nope' has no generator" in p for p in problems)
    assert "docs/: no block 'generated: routes'" in problems


def test_render_touches_only_the_blocks() -> None:
    text = "intro\n<!-- generated: a -->\nold\n<!-- /generated -->\noutro | x |\n"
    assert render(text, {"a": "new"}) == (
        "intro\n<!-- generated: a -->\n\nnew\n\n<!-- /generated -->\noutro | x |\n"
    )
    assert render(text, {}) == text


def test_cli_check_and_write(
    generated: dict[str, str], docs_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The blocks computed once by the fixture: each CLI run would otherwise rebuild the app.
    fixed = {name: (lambda text=text: text) for name, text in generated.items()}
    monkeypatch.setattr(docs_tables, "GENERATORS", fixed)
    runner = CliRunner()
    assert runner.invoke(app, ["docs", "--check", "--root", str(docs_copy)]).exit_code == 0
    _drop_line(docs_copy / "jobs.md", "`seconds`")
    result = runner.invoke(app, ["docs", "--check", "--root", str(docs_copy)])
    assert result.exit_code == 1
    assert "docs/jobs.md: block 'job-params' is stale" in result.output
    assert runner.invoke(app, ["docs", "--root", str(docs_copy)]).exit_code == 0
    assert runner.invoke(app, ["docs", "--check", "--root", str(docs_copy)]).exit_code == 0


def test_default_root_is_the_projects_docs() -> None:
    assert find_docs(DOCS.parent / "src" / "binnr") == DOCS


# -- the generators on small inputs -----------------------------------------------------------
def test_routes_table_resolves_refs_and_forms() -> None:
    spec: dict[str, Any] = {
        "paths": {
            "/t/{name}": {
                "post": {
                    "operationId": "make",
                    "description": "Make a thing.\n\nMore.",
                    "parameters": [{"name": "name", "in": "path"}, {"name": "x", "in": "query"}],
                    "requestBody": {
                        "content": {"application/json": {"schema": {"$ref": "#/c/schemas/B"}}}
                    },
                    "responses": {"202": {}, "422": {}},
                },
                "put": {
                    "operationId": "up",
                    "summary": "Up",
                    "requestBody": {
                        "content": {"multipart/form-data": {"schema": {"properties": {"file": {}}}}}
                    },
                    "responses": {"200": {}},
                },
            }
        },
        "components": {"schemas": {"B": {"properties": {"a": {}, "b|c": {}}}}},
    }
    lines = docs_tables.routes_table(spec).splitlines()
    assert lines[2] == (
        "| `POST` | `/t/{name}` | `make` | Make a thing. "
        "| path: `name`; query: `x`; body: `a`, `b\\|c` | `202` |"
    )
    assert lines[3] == "| `PUT` | `/t/{name}` | `up` | Up | form: `file` | `200` |"


def test_settings_table_uses_aliases_and_prefix() -> None:
    class S(BaseSettings):
        model_config = SettingsConfigDict(env_prefix="BINNR_")
        home: Path = Field(Path("d"), description="Data")
        schema_: str | None = Field(None, validation_alias=AliasChoices("BINNR_SCHEMA"))
        broker: str | None = Field(None, validation_alias=AliasChoices("BROKER", "BINNR_BROKER"))
        mode: Literal["a", "b"] = "a"

    lines = docs_tables.settings_table([S]).splitlines()[2:]
    assert lines[0] == "| `BINNR_HOME` | `Path` | `d` | Data |"
    assert lines[1].startswith("| `BINNR_SCHEMA` | `str \\| None` | `None` |")
    assert lines[2].startswith("| `BROKER` (or `BINNR_BROKER`) |")
    assert lines[3].startswith("| `BINNR_MODE` | `a \\| b` | `a` |")


def test_job_params_tables_show_bounds_aliases_and_nested_models() -> None:
    class Inner(BaseModel):
        rate: float = Field(0.5, gt=0, le=1, description="Rate")

    class P(BaseModel):
        schema_: str | None = Field(None, alias="schema")
        names: list[str] = Field(min_length=1)
        inner: Inner = Field(default_factory=Inner)

    text = docs_tables.job_params_tables([("k.train", P)])
    assert "### `k.train`\n" in text
    assert "| `schema` | `str \\| null` | `null` |  |  |" in text
    assert "| `names` | `list[str]` | required | length ≥ 1 |  |" in text
    assert "| `inner` | `Inner` | see below |  |  |" in text
    assert "### `k.train` → `inner`\n" in text
    assert "| `rate` | `float` | `0.5` | > 0, ≤ 1 | Rate |" in text


def test_every_setting_has_a_description(generated: dict[str, str]) -> None:
    rows = [row.split(" | ") for row in generated["settings"].splitlines()[2:]]
    missing = [cells[0] for cells in rows if not cells[-1].strip(" |")]
    assert not missing, f"add a description (Field or SETTING_NOTES) for {missing}"


# -- everything is listed (kept from the hand-written docs' tests) ----------------------------
def _env_names() -> list[str]:
    names = []
    fields = {**Settings.model_fields, **CeleryOptions.model_fields}
    for name, field in fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names.append(str(alias.choices[0]))
        else:
            names.append(f"BINNR_{name.rstrip('_').upper()}")
    return names


@pytest.mark.parametrize("env", _env_names())
def test_every_setting_is_documented(env: str) -> None:
    assert f"`{env}`" in (DOCS / "configuration.md").read_text(), f"{env} missing from docs"


def _routes() -> list[tuple[str, str]]:
    with tempfile.TemporaryDirectory() as home:
        paths = create_app(Settings(home=Path(home))).openapi()["paths"]
    return sorted((method.upper(), path) for path, ops in paths.items() for method in ops)


@pytest.mark.parametrize(("method", "path"), _routes())
def test_every_route_is_documented(method: str, path: str) -> None:
    text = (DOCS / "api.md").read_text()
    assert f"| `{method}` | `{path}` |" in text, f"{method} {path} missing from docs/api.md"


@pytest.mark.parametrize("kind", JOB_KINDS.names())
def test_every_job_kind_is_documented(kind: str) -> None:
    text = (DOCS / "jobs.md").read_text()
    assert f"| `{kind}` |" in text, f"job kind {kind} missing from the kinds table"
    assert f"### `{kind}`\n" in text, f"job kind {kind} has no parameter table"
