"""Classification tables: checks before queuing, and the job that builds them atomically."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from binnr.errors import InvalidInput
from binnr.jobs.context import JobContext
from binnr.params.data import ClassificationTablesParams
from binnr.prep import classification as stmts
from binnr.prep.classification import ClassificationSpec
from binnr.prep.template import Part, parse_template
from binnr.warehouse.base import Warehouse
from binnr.warehouse.names import TableRef, column

RESERVED = ("source", "target")


def check_spec(*, warehouse: Warehouse, spec: ClassificationTablesParams) -> list[Part]:
    """Everything that can be checked before the job is queued; returns the template parts."""
    src = spec.ref(warehouse, spec.table_name)
    columns = [c.name for c in warehouse.columns(src)]
    sources = [column(c, field="source_columns") for c in spec.source_columns]
    target = column(spec.target_column, field="target_column")
    missing = [c for c in [*sources, target] if c not in columns]
    if missing:
        raise InvalidInput(
            f"Column(s) {', '.join(missing)} are not in table {src.name}.",
            hint=f"Available columns: {', '.join(columns)}.",
        )
    if target in sources:
        raise InvalidInput(
            f"The target column {target} is also a source column.",
            hint="The label cannot be part of the text the model reads; drop it from sources.",
        )
    clash = [c for c in RESERVED if c in columns]
    if clash:
        raise InvalidInput(
            f"Table {src.name} already has column(s) {', '.join(clash)}, which binnr creates.",
            hint="Rename them first (e.g. with POST /data/sql or by re-uploading), then retry.",
        )
    parts = parse_template(spec.template, sources=sources, columns=columns)
    n = warehouse.query(warehouse.render(stmts.COUNT_LABELS, target=target, src=src))[0]["n"]
    if int(n) < 2:
        raise InvalidInput(
            f"Column {target} has {n} distinct non-empty label(s); at least 2 are needed.",
            hint="Label at least two classes before creating classification tables.",
        )
    return parts


def classification_tables_job(ctx: JobContext, spec: ClassificationTablesParams) -> dict[str, Any]:
    """Build labels, source_target, train, [validation] and predict tables; all or none appear."""
    wh, progress = ctx.warehouse, ctx.progress
    parts = check_spec(warehouse=wh, spec=spec)
    src = spec.ref(wh, spec.table_name)
    target = column(spec.target_column)
    finals = _final_names(wh, src=src, target=target, spec=spec)
    staged = {key: wh.staging(ref) for key, ref in finals.items()}
    steps = _steps(_Build(wh=wh, spec=spec, src=src, target=target, parts=parts, staged=staged))
    try:
        for i, (key, sql, binds) in enumerate(steps, start=1):
            progress.phase(f"create {finals[key].name}", index=i, total=len(steps) + 1)
            progress.check_cancelled()
            wh.execute(sql, binds)
        progress.phase("publish", index=len(steps) + 1, total=len(steps) + 1)
        counts = {key: wh.row_count(ref) for key, ref in staged.items()}
        wh.publish([(staged[key], finals[key]) for key in staged])
        if not spec.create_validation:
            # A validation table from an earlier run would overlap the new train table.
            wh.drop_table(wh.derived(finals["source_target"], suffix="_validation"))
    except BaseException:
        for ref in staged.values():
            wh.drop_table(ref)
        raise
    return {
        "tables": [{"role": k, "name": finals[k].name, "rows": counts[k]} for k in finals],
        "labels": _labels(wh, finals["labels"], target),
        "database": src.database,
        "schema": src.schema,
    }


def _final_names(
    wh: Warehouse, *, src: TableRef, target: str, spec: ClassificationSpec
) -> dict[str, TableRef]:
    base = wh.derived(src, suffix="_source_target")
    names = {
        "labels": src.with_name(wh.fold(f"{target}_target")),
        "source_target": base,
        "train": wh.derived(base, suffix="_train"),
    }
    if spec.create_validation:
        names["validation"] = wh.derived(base, suffix="_validation")
    names["predict"] = wh.derived(base, suffix="_predict")
    return names


Step = tuple[str, str, list[Any]]


@dataclass(frozen=True)
class _Build:
    """One run of the job: what every statement is rendered from."""

    wh: Warehouse
    spec: ClassificationSpec
    src: TableRef
    target: str
    parts: list[Part]
    staged: dict[str, TableRef]


def _steps(build: _Build) -> list[Step]:
    """(table role, rendered statement, bound values) in the order they must run."""
    labels_sql = build.wh.render(
        stmts.LABELS,
        out=build.staged["labels"],
        src=build.src,
        target=build.target,
        target_number=f"{build.target}_number",
    )
    return [("labels", labels_sql, []), _source_target_step(build), *_split_steps(build)]


def _source_target_step(build: _Build) -> Step:
    wh, spec, src, target = build.wh, build.spec, build.src, build.target
    expr, slots = stmts.source_expression(build.parts, spec.llm_train_source)
    binds: list[Any] = [p.text for p in build.parts if not p.is_column]
    if spec.llm_train_source:
        sql = wh.render(stmts.DISTINCT_LABELS, target=target, src=src)
        labels = [str(r["label"]) for r in wh.query(sql)]
        binds.append(stmts.LLM_SUFFIX.format(labels=" or ".join(labels)))
    st_sql = wh.render(
        stmts.SOURCE_TARGET.replace("{source_expr}", expr),
        out=build.staged["source_target"],
        src=src,
        labels=build.staged["labels"],
        target=target,
        target_number=f"{target}_number",
        **slots,
    )
    return ("source_target", st_sql, binds)


def _split_steps(build: _Build) -> list[Step]:
    wh, spec, staged = build.wh, build.spec, build.staged
    st = staged["source_target"]
    steps: list[Step] = []
    if spec.create_validation:
        cols = [c.name for c in wh.columns(build.src)] + list(RESERVED)
        binds = [spec.seed, spec.validation_fraction]
        for role, template in (
            ("train", stmts.TRAIN_SPLIT),
            ("validation", stmts.VALIDATION_SPLIT),
        ):
            steps.append((role, wh.render(template, out=staged[role], src=st, cols=cols), binds))
    else:
        steps.append(("train", wh.render(stmts.ALL_LABELLED, out=staged["train"], src=st), []))
    steps.append(("predict", wh.render(stmts.UNLABELLED, out=staged["predict"], src=st), []))
    return steps


def _labels(wh: Warehouse, ref: TableRef, target: str) -> list[dict[str, Any]]:
    rows = wh.query(
        wh.render(
            "SELECT {t}, {n} FROM {ref} ORDER BY {n}", t=target, n=f"{target}_number", ref=ref
        )
    )
    return [{"label": r[target], "number": int(r[f"{target}_number"])} for r in rows]
