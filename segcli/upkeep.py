"""The cache's folder and entries, and process-wide tuning for the command line: what
`segcli.api` offers besides answering questions (re-exported there)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from segcli.cache import Stored


def cache_entries(cache_dir: str | None = None) -> tuple[Path, list[Stored]]:
    """The cache's folder and the entries in it."""
    from segcli import cache

    root = Path(cache_dir) if cache_dir else cache.directory()
    return root, cache.entries(root)


def clear_cache(cache_dir: str | None = None) -> tuple[Path, int]:
    """Remove every cache entry: the folder, and how many entries there were."""
    from segcli import cache

    root = Path(cache_dir) if cache_dir else cache.directory()
    return root, cache.clear(root)


def tune_for_cli() -> None:
    """Process-wide tuning for a one-shot command: Arrow's jemalloc memory pool (engines/
    memory.py has the measured reason). A library user's process is left as it is."""
    from segcli.engines import memory

    memory.use_jemalloc()
