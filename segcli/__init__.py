"""segcli: customer metrics, purchase cadence and lifecycle segments from order exports.

The library is `segcli.api` (`from segcli import api`); its main names are re-exported here and
imported on first use, so that `segcli --version` does not pay for pandas.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "1.0.0"
__all__ = ["Inputs", "SegcliError", "Settings", "__version__", "api"]


def __getattr__(name: str) -> Any:
    if name in {"api", "Inputs", "Settings", "SegcliError"}:
        api = importlib.import_module("segcli.api")
        return api if name == "api" else getattr(api, name)
    raise AttributeError(f"module 'segcli' has no attribute {name!r}")
