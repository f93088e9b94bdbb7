"""Configuration from the environment and ``.env`` (pydantic-settings).

The original binnr's variables keep working unchanged: ``SNOWFLAKE_CONFIG`` (a JSON object),
``CELERY_BROKER_URL`` and ``CELERY_RESULT_BACKEND``. Everything else is ``BINNR_*``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    embedding_precision: Literal["int8", "fp32"] = "fp32"

    llm_provider: Literal["local", "openai", "cortex"] | None = None
    llm_models: dict[str, str] = Field(default_factory=dict)
    llm_precision: Literal["auto", "fp32", "bf16"] = "fp32"
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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
