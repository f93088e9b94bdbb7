"""``binnr docs [--check]``: rewrite the generated tables in ``docs/*.md``, or check them.

A generated block is the text between ``<!-- generated: NAME -->`` and ``<!-- /generated -->``;
NAME is one of :data:`binnr.cli.docs_tables.GENERATORS`. Everything outside the markers is
written by hand and never touched. ``--check`` (the tests, CI) changes nothing and exits 1
naming every stale block, like ``cog --check``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer

from binnr.cli.app import app

BLOCK = re.compile(
    r"(?P<start><!-- generated: (?P<name>[\w.-]+) -->\n)(?P<body>.*?)(?P<end><!-- /generated -->)",
    re.DOTALL,
)


def block_body(content: str) -> str:
    """Blank lines around the table, so Markdown sees a table and not part of the comment."""
    return f"\n{content.strip()}\n\n"


def render(text: str, generated: Mapping[str, str]) -> str:
    """``text`` with every known block's body replaced; unknown names are left as they are."""

    def replace(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in generated:
            return match[0]
        return match["start"] + block_body(generated[name]) + match["end"]

    return BLOCK.sub(replace, text)


def stale_blocks(text: str, generated: Mapping[str, str]) -> list[str]:
    """Problems in one document: blocks whose body differs, blocks no generator knows."""
    problems = []
    for match in BLOCK.finditer(text):
        name = match["name"]
        if name not in generated:
            problems.append(f"block {name!r} has no generator ({', '.join(sorted(generated))})")
        elif match["body"] != block_body(generated[name]):
            problems.append(f"block {name!r} is stale")
    return problems


def sync(root: Path, generated: Mapping[str, str], *, write: bool) -> list[str]:
    """Check (and with ``write``, rewrite) every ``*.md`` under ``root``; returns the problems.

    A generator whose block appears in no document is a problem too: deleting the markers must
    not make a stale table pass the check.
    """
    problems: list[str] = []
    used: set[str] = set()
    for path in sorted(root.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        used.update(match["name"] for match in BLOCK.finditer(text))
        where = path.relative_to(root.parent)
        if write and (new := render(text, generated)) != text:
            path.write_text(new, encoding="utf-8")
            typer.echo(f"updated {where}")
            text = new
        problems.extend(f"{where}: {problem}" for problem in stale_blocks(text, generated))
    problems.extend(
        f"{root.name}/: no block 'generated: {name}'" for name in sorted(set(generated) - used)
    )
    return problems


def find_docs(start: Path) -> Path:
    """``docs/`` of the project that contains ``start`` (a folder with ``pyproject.toml``)."""
    for folder in (start, *start.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "docs").is_dir():
            return folder / "docs"
    raise typer.BadParameter(
        f"no docs/ folder next to a pyproject.toml in {start} or above; pass --root",
        param_hint="--root",
    )


@app.command("docs")
def docs_command(
    check: Annotated[
        bool, typer.Option("--check", help="Change nothing; exit 1 listing stale blocks")
    ] = False,
    root: Annotated[
        Path | None, typer.Option(help="Docs folder (default: the project's docs/)")
    ] = None,
) -> None:
    """Rewrite the tables generated from code in docs/*.md (routes, settings, job parameters)."""
    from binnr.cli.docs_tables import GENERATORS  # imports the API app: only when asked

    folder = (root or find_docs(Path.cwd())).resolve()
    generated = {name: make() for name, make in GENERATORS.items()}
    problems = sync(folder, generated, write=not check)
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        hint = "run `binnr docs` and commit the result" if check else "fix the markers above"
        typer.echo(f"{len(problems)} problem(s); {hint}", err=True)
        raise typer.Exit(1)
    typer.echo("docs are up to date" if check else f"docs written under {folder}")
