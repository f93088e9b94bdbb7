"""binnr: text classification over warehouse tables."""

import importlib
import os
from typing import Any

# LightGBM's OpenMP threads busy-wait by default; on a 2-core machine that slowed 2-thread
# training up to 14x (and 2.8x on 22k rows). Only takes effect if no OpenMP runtime has loaded
# yet, which is why it is set here, on the first import of anything binnr.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """``binnr.Client``, loaded on first use.

    Importing any binnr module runs this package first, so an eager import of the client
    (httpx, pydantic, every parameter model) would slow down and couple every part of binnr;
    the client sits above the API layer (tests/architecture), so it is looked up lazily.
    """
    if name == "Client":
        return importlib.import_module("binnr.client").Client
    raise AttributeError(f"module 'binnr' has no attribute {name!r}")
