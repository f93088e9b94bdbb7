"""Model paths come only from allowed roots; refusals never tell what exists on the server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from binnr.errors import InvalidInput, ModelError
from binnr.models.embeddings.base import resolve_model_dir
from binnr.models.llm.base import resolve_model_type
from binnr.models.paths import find_model_path, model_roots
from binnr.settings import Settings

PROBES = ["/etc/ssl", "/root", "~", "/tmp", "/no/such/folder", "../../etc", "~/.ssh"]


def llm_refusal(name: str, settings: Settings) -> str:
    with pytest.raises(InvalidInput) as info:
        resolve_model_type(name, settings=settings, provider="local")
    return f"{info.value.message} {info.value.hint}"


def without(name: str, text: str) -> str:
    return text.replace(repr(name), "<name>")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", model_roots=[tmp_path / "extra"])


def test_llm_paths_outside_the_roots_all_get_the_same_422(settings: Settings) -> None:
    texts = {without(name, llm_refusal(name, settings)) for name in PROBES}
    assert len(texts) == 1, texts
    text = texts.pop()
    assert "BINNR_MODEL_ROOTS" in text and "$BINNR_HOME/models" in text
    assert str(Path.home()) not in text and str(settings.home) not in text


def test_llm_paths_inside_the_roots_resolve(settings: Settings, tmp_path: Path) -> None:
    home_model = settings.models_dir / "base" / "tiny"
    extra_model = tmp_path / "extra" / "other"
    for folder in (home_model, extra_model):
        folder.mkdir(parents=True)
    resolve = lambda name: resolve_model_type(name, settings=settings, provider="local")  # noqa: E731
    assert resolve(str(home_model)) == str(home_model.resolve())
    assert resolve("base/tiny") == str(home_model.resolve())  # relative to a root
    assert resolve(str(extra_model)) == str(extra_model.resolve())
    assert resolve("org/model") == "org/model"  # a hub id, read offline from the cache
    aliased = settings.model_copy(update={"llm_models": {"mine": "/anywhere/the/admin/said"}})
    assert resolve_model_type("mine", settings=aliased, provider="local") == (
        "/anywhere/the/admin/said"
    )


def test_symlinks_and_dot_dot_cannot_leave_a_root(settings: Settings, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    settings.models_dir.mkdir(parents=True)
    (settings.models_dir / "link").symlink_to(outside)
    roots = model_roots(settings)
    assert find_model_path("link", roots=roots) is None
    assert find_model_path(str(settings.models_dir / "link"), roots=roots) is None
    assert find_model_path(str(settings.models_dir / ".." / "outside"), roots=roots) is None
    before = llm_refusal("link", settings)
    assert without("link", before) == without("/no/such", llm_refusal("/no/such", settings))


def embedding_refusal(name: str, roots: list[Path]) -> str:
    with pytest.raises(ModelError) as info:
        resolve_model_dir(name, roots=roots)
    return f"{info.value.message} {info.value.hint}"


def test_embedding_paths_outside_the_roots_all_get_the_same_error(settings: Settings) -> None:
    """/etc/ssl exists and has no config.json; it used to say so, unlike a missing folder."""
    roots = model_roots(settings)
    texts = {without(name, embedding_refusal(name, roots)) for name in PROBES}
    assert len(texts) == 1, texts
    assert "config.json" not in re.sub(r"\(config\.json[^)]*\)", "", texts.pop())


def test_embedding_folder_inside_a_root(settings: Settings, tmp_path: Path) -> None:
    roots = model_roots(settings)
    folder = tmp_path / "extra" / "enc"
    folder.mkdir(parents=True)
    message = embedding_refusal("enc", roots)  # the name as sent, never the server's path
    assert "'enc' has no config.json" in message and str(tmp_path) not in message
    (folder / "config.json").write_text("{}")
    assert resolve_model_dir(str(folder), roots=roots) == folder.resolve()
    assert resolve_model_dir("enc", roots=roots) == folder.resolve()
