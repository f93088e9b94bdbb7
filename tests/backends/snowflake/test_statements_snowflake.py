"""The golden statements rendered for Snowflake and executed on fakesnow (patch mode)."""

from __future__ import annotations

import pytest

from binnr.backends.snowflake.warehouse import SnowflakeWarehouse
from tests.support import statements as S


@pytest.mark.parametrize("st", S.STATEMENTS, ids=lambda st: st.key)
def test_render_snowflake(wh: SnowflakeWarehouse, st: S.Statement) -> None:
    assert S.render(wh, st) == S.GOLDEN[st.key]["snowflake"]


def test_execute_fakesnow(wh: SnowflakeWarehouse) -> None:
    S.check_pipeline(S.run_pipeline(wh))


def test_cortex_stand_ins(cortex: SnowflakeWarehouse) -> None:
    rows = cortex.query(
        "SELECT SNOWFLAKE.CORTEX.COMPLETE(?, ?) AS c, "
        "SNOWFLAKE.CORTEX.FINETUNE('CREATE', 'm', 'base', 'SELECT 1') AS f, "
        "ARRAY_SIZE(SNOWFLAKE.CORTEX.EMBED_TEXT_768('e5-base-v2', 'some text')) AS n",
        ["llama3-8b", "hello"],
    )
    assert rows == [{"c": "stand-in llama3-8b: hello", "f": rows[0]["f"], "n": 768}]
    assert rows[0]["f"].startswith("ft_")
