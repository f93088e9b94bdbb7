"""The base of every job's parameters: where its tables live."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from binnr.errors import InvalidInput, describe_validation_error
from binnr.params.fields import LocationName, SnowflakeName

if TYPE_CHECKING:  # at run time only the caller's warehouse is used: the CLI stays light
    from binnr.warehouse.base import Warehouse
    from binnr.warehouse.names import TableRef

P = TypeVar("P", bound="JobParams")


class JobParams(BaseModel):
    """Fields every job kind has: the original's ``database`` and ``schema``.

    Unknown keys are refused: a stored record with keys this version does not know fails when
    the job starts, naming them, instead of being half-understood.
    """

    # NaN and infinity pass no bound usefully and crash libraries later: refused everywhere.
    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)

    database: LocationName | None = Field(
        default=None, description="Database of the tables (default: the warehouse's own)"
    )
    schema_: LocationName | None = Field(
        default=None, alias="schema", description="Schema of the tables (default: main/PUBLIC)"
    )

    def ref(self, warehouse: Warehouse, name: str) -> TableRef:
        """Table ``name`` in this job's database and schema."""
        return warehouse.ref(name, database=self.database, schema=self.schema_)

    def dump(self) -> dict[str, Any]:
        """JSON for the job record (``schema``, not ``schema_``)."""
        return self.model_dump(mode="json", by_alias=True)

    @classmethod
    def parse(cls, data: Any, *, what: str = "job parameters") -> Self:
        """Validate ``data``; a mismatch is :class:`InvalidInput` naming every problem."""
        if isinstance(data, cls):
            return data
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise InvalidInput(
                f"Invalid {what}: {describe_validation_error(exc)}.",
                hint="A job recorded by another binnr version cannot run here; submit it "
                "again. Otherwise see docs/jobs.md for each job kind's parameters.",
            ) from exc


class RequestLocation(BaseModel):
    """``warehouse`` and ``role``: accepted on every route as in the original, never stored.

    Request bodies are the job's parameters plus these two; unknown keys are ignored there, as
    they always were.
    """

    model_config = ConfigDict(extra="ignore", populate_by_name=True, allow_inf_nan=False)

    warehouse: SnowflakeName | None = Field(
        default=None, description="Snowflake virtual warehouse (ignored by DuckDB)"
    )
    role: SnowflakeName | None = Field(
        default=None, description="Snowflake role (ignored by DuckDB)"
    )

    def job_params(self, model: type[P]) -> P:
        """The body as ``model``: every field but warehouse and role."""
        data = self.model_dump(by_alias=True, exclude={"warehouse", "role"})
        return model.parse(data, what="request")


def describe_fields(model: type[BaseModel]) -> list[dict[str, str]]:
    """One row per field (name, type, default, description) for generated docs and forms."""
    rows = []
    for name, field in model.model_fields.items():
        annotation = getattr(field.annotation, "__name__", None) or str(field.annotation)
        default = "required" if field.is_required() else repr(field.get_default())
        rows.append(
            {
                "name": field.alias or name,
                "type": annotation.replace("typing.", ""),
                "default": default,
                "description": field.description or "",
            }
        )
    return rows
