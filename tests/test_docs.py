"""Docs are tested: every endpoint, setting and job kind must be documented."""

from __future__ import annotations

from pathlib import Path

import pytest
from binnr.jobs.registry import job_kinds
from pydantic import AliasChoices

from binnr.api.app import create_app
from binnr.jobs.celery_app import CeleryOptions
from binnr.settings import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs"


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
    paths = create_app(Settings(home=Path("unused"))).openapi()["paths"]
    return sorted((method.upper(), path) for path, ops in paths.items() for method in ops)


@pytest.mark.parametrize(("method", "path"), _routes())
def test_every_route_is_documented(method: str, path: str) -> None:
    text = (DOCS / "api.md").read_text()
    assert f"| `{method}` | `{path}` |" in text, f"{method} {path} missing from docs/api.md"


@pytest.mark.parametrize("kind", job_kinds())
def test_every_job_kind_is_documented(kind: str) -> None:
    assert f"| `{kind}` |" in (DOCS / "jobs.md").read_text(), f"job kind {kind} missing"
