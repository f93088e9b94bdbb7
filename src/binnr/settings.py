"""Configuration from the environment and ``.env`` (pydantic-settings).

The original binnr's variables keep working unchanged: ``SNOWFLAKE_CONFIG`` (a JSON object),
``CELERY_BROKER_URL`` and ``CELERY_RESULT_BACKEND``. Everything else is ``BINNR_*``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from binnr.errors import ConfigError


class SnowflakeConfig(BaseModel):
    """The original's ``SNOWFLAKE_CONFIG`` JSON object."""

    user: str | None = None
    password: SecretStr | None = None
    account: str | None = None
    warehouse: str | None = None
    database: str | None = None
    schema_: str | None = Field(default=None, alias="schema")
    role: str | None = None
    host: str | None = None
    port: int | None = None
    protocol: str | None = None

    model_config = {"populate_by_name": True, "extra": "allow"}

    def connect_kwargs(self) -> dict[str, Any]:
        """Arguments for ``snowflake.connector.connect``; the only place the password is read."""
        out: dict[str, Any] = {}
        for key, value in self.model_dump(by_alias=True, exclude_none=True).items():
            out[key] = value
        if self.password is not None:
            out["password"] = self.password.get_secret_value()
        return out


class Settings(BaseSettings):
    """All of binnr's settings. See docs/configuration.md for each one."""

    model_config = SettingsConfigDict(
        env_prefix="BINNR_", env_file=".env", extra="ignore", populate_by_name=True
    )

    home: Path = Path("binnr-data")
    warehouse: Literal["duckdb", "snowflake"] | None = None
    database: str | None = None
    schema_: str | None = Field(default=None, validation_alias=AliasChoices("BINNR_SCHEMA"))
    max_upload_mb: int = 2048
    enable_sql: bool = False
    job_workers: int = 2
    job_store: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    url: str | None = None

    embedding_provider: Literal["local", "cortex"] | None = None
    embedding_model: str = "all-MiniLM-L6-v2"
    embedding_backend: Literal["auto", "openvino", "onnx", "torch"] = "auto"
    embedding_batch_size: int = 64
    embedding_precision: Literal["int8", "fp32"] = Field(
        default="int8",
        description="int8: NNCF-quantised OpenVINO export, built once and cached (mean cosine "
        "0.996 to fp32, probe accuracy within 0.5 point); fp32: the exact model. Other backends "
        "always run fp32; vectors are cached per precision",
    )

    llm_provider: Literal["local", "openai", "cortex"] | None = None
    llm_models: dict[str, str] = Field(default_factory=dict)
    llm_precision: Literal["auto", "fp32", "bf16"] = Field(
        default="auto",
        description="Local LLM inference: auto (bf16 where the CPU has AMX bf16, else fp32), "
        "fp32 (exact: same labels as training-time scoring), bf16 (~2.5x faster on AMX, a few "
        "labels differ)",
    )
    llm_threads: int | None = Field(
        default=None,
        ge=1,
        description="CPU threads for local LLM work (default: up to 2). Fine-tuning uses them "
        "in one process; predicting 256 rows or more runs one process per thread, each with "
        "its own copy of the model (the model's Python code holds the interpreter lock)",
    )
    openai_base_url: str | None = None
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("BINNR_OPENAI_API_KEY", "OPENAI_API_KEY")
    )
    openai_model: str | None = None

    snowflake_config: SnowflakeConfig | None = Field(
        default=None, validation_alias=AliasChoices("SNOWFLAKE_CONFIG", "BINNR_SNOWFLAKE_CONFIG")
    )
    celery_broker_url: str | None = Field(
        default=None, validation_alias=AliasChoices("CELERY_BROKER_URL", "BINNR_CELERY_BROKER_URL")
    )
    celery_result_backend: str | None = Field(
        default=None,
        validation_alias=AliasChoices("CELERY_RESULT_BACKEND", "BINNR_CELERY_RESULT_BACKEND"),
    )
    celery_in_process: bool = False

    # -- security (issue 11)
    api_key: SecretStr | None = Field(
        default=None,
        description="API key(s), comma-separated: every route but /healthz, /docs and "
        "/openapi.json then needs `Authorization: Bearer <key>` or `X-API-Key: <key>`",
    )
    api_key_file: Path | None = Field(
        default=None, description="A file with one API key per line (added to BINNR_API_KEY)"
    )
    read_only_api_key: SecretStr | None = Field(
        default=None,
        description="Read-only key(s), comma-separated: GET and HEAD only, 403 on anything else",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated origins allowed to call the API from a browser (CORS); "
        "empty: CORS off, and cross-origin writes are refused with 403",
    )
    job_timeout: float = Field(
        default=21_600,
        ge=0,
        le=30 * 86_400,
        description="Seconds a job may run before it is stopped as failed (JobTimeout); 0: none",
    )
    isolate_training: bool = Field(
        default=True,
        description="Run work that would stall the API in child processes: text-model "
        "training (embeddings are computed here and handed over), an embedding model's "
        "first export and int8 quantisation, and the first compile of the n-gram feature "
        "kernels (false: in the job's thread, saving the children's start-up)",
    )
    switch_interval_ms: float = Field(
        default=0.5,
        gt=0,
        le=100,
        description="How long (ms) a busy job thread may hold Python's interpreter lock before "
        "the API's thread gets a turn (Python's default: 5); shorter keeps the API responsive",
    )
    prompt_concurrency: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Free prompts (GET /classification/llm/response) generated at once; "
        "more wait a few seconds, then get 429",
    )
    model_roots: Annotated[list[Path], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated folders model paths may come from, besides "
        "$BINNR_HOME/models and the bundled models",
    )

    @field_validator("cors_origins", "model_roots", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    # -- data plane (issue 11)
    max_attached_databases: int = Field(
        default=16,
        ge=1,
        le=1000,
        description="DuckDB: the most database files attached at once (each holds a file handle)",
    )
    upload_leftover_minutes: float = Field(
        default=60.0,
        ge=1,
        description="Celery workers' sweep: an upload file untouched this long and owned by no "
        "queued or running job is removed",
    )

    @model_validator(mode="after")
    def _pick_warehouse(self) -> Settings:
        if self.warehouse is None:
            self.warehouse = "snowflake" if self.snowflake_config is not None else "duckdb"
        return self

    @property
    def warehouse_kind(self) -> Literal["duckdb", "snowflake"]:
        return self.warehouse or "duckdb"

    @property
    def duckdb_path(self) -> Path:
        return self.home / "binnr.duckdb"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def uploads_dir(self) -> Path:
        return self.home / "uploads"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def base_url(self) -> str:
        return self.url or f"http://{self.host}:{self.port}"

    def api_keys(self) -> list[str]:
        """Full-access keys: ``BINNR_API_KEY`` (comma-separated) plus ``BINNR_API_KEY_FILE``."""
        keys = _split_secret(self.api_key)
        if self.api_key_file is not None:
            try:
                lines = self.api_key_file.read_text().splitlines()
            except OSError as exc:
                raise ConfigError(
                    f"BINNR_API_KEY_FILE cannot be read ({exc.strerror}).",
                    hint="Point BINNR_API_KEY_FILE at a readable file with one key per line.",
                ) from exc
            keys += [line.strip() for line in lines if line.strip()]
        return keys

    def read_only_api_keys(self) -> list[str]:
        """Keys that may only read (GET and HEAD)."""
        return _split_secret(self.read_only_api_key)


def _split_secret(secret: SecretStr | None) -> list[str]:
    if secret is None:
        return []
    return [part.strip() for part in secret.get_secret_value().split(",") if part.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
