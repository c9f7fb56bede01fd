"""segcli: customer metrics, purchase cadence and lifecycle segments from order exports.

The Python API is re-exported from the pipeline and imported on first use, so that
`segcli --version` does not pay for pandas.
"""

from __future__ import annotations

from typing import Any

__version__ = "1.0.0"
__all__ = ["Result", "SegcliError", "Settings", "__version__", "customers", "parse_as_of"]


def __getattr__(name: str) -> Any:
    if name in {"Result", "customers", "parse_as_of"}:
        from segcli import pipeline

        return getattr(pipeline, name)
    if name == "Settings":
        from segcli.settings import Settings

        return Settings
    if name == "SegcliError":
        from segcli.errors import SegcliError

        return SegcliError
    raise AttributeError(f"module 'segcli' has no attribute {name!r}")
