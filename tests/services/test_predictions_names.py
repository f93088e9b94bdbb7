"""Model and results names: readable, with the original prefixes, and never the same twice."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from binnr.backends.duckdb.warehouse import DuckDBWarehouse
from binnr.services.predictions import model_name_for, results_table, timestamp

STAMP = r"\d{14}_[0-9a-f]{6}"


def test_names_in_one_second_are_distinct_and_keep_their_prefix() -> None:
    with ThreadPoolExecutor(8) as pool:
        names = list(pool.map(lambda _: model_name_for("gbm", "Train_T"), range(2000)))
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(rf"gbm_train_t_{STAMP}", n) for n in names), names[:3]
    assert re.fullmatch(STAMP, timestamp())


def test_results_tables_skip_existing_names(tmp_path: Path) -> None:
    wh = DuckDBWarehouse(tmp_path / "binnr.duckdb")
    try:
        source = wh.ref("predict_me")
        seen = set()
        for _ in range(50):
            out = results_table(wh, source, prefix="gbm_results_")
            assert re.fullmatch(rf"gbm_results_predict_me_{STAMP}", out.name), out.name
            assert out.name not in seen
            wh.execute(wh.render("CREATE TABLE {t} (a INTEGER)", t=out))
            seen.add(out.name)
        assert llm_ok(wh)
    finally:
        wh.close()


def llm_ok(wh: DuckDBWarehouse) -> bool:
    out = results_table(wh, wh.ref("p"), prefix="llm_")
    return re.fullmatch(rf"llm_p_{STAMP}", out.name) is not None
