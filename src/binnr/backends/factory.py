"""Pick and open the configured warehouse (once per process)."""

from __future__ import annotations

import importlib
import threading

from binnr.settings import Settings
from binnr.warehouse.base import Warehouse

_lock = threading.Lock()
_open: dict[tuple[str, str], Warehouse] = {}

#: warehouse kind → "module:Class"; Snowflake's driver is imported only when it is used.
BACKENDS = {
    "duckdb": "binnr.backends.duckdb.warehouse:DuckDBWarehouse",
    "snowflake": "binnr.backends.snowflake.warehouse:SnowflakeWarehouse",
}


def get_warehouse(settings: Settings) -> Warehouse:
    """The shared warehouse for ``settings`` (opened on first use)."""
    key = (settings.warehouse_kind, str(settings.home.resolve()))
    with _lock:
        if key not in _open:
            _open[key] = open_warehouse(settings)
        return _open[key]


def open_warehouse(settings: Settings) -> Warehouse:
    """A new connection to the configured warehouse."""
    module_name, _, class_name = BACKENDS[settings.warehouse_kind].partition(":")
    cls: type[Warehouse] = getattr(importlib.import_module(module_name), class_name)
    return cls.from_settings(settings)


def close_all() -> None:
    """Close every open warehouse (at shutdown and between tests)."""
    with _lock:
        for warehouse in _open.values():
            warehouse.close()
        _open.clear()
