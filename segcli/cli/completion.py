"""Values the shell completes (Typer's `--install-completion` puts the script in place): segment,
frequency and RFM segment names, presets, formats and sort fields. The RFM names come from the
settings in effect, so a config file's own `[[rfm-segments]]` complete too. A completion never
fails: a bad config file completes no RFM names."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import typer

from segcli import api
from segcli.model.schema import FREQUENCIES, LIST_SORT_FIELDS, SEGMENTS


def _starting(labels: Iterable[str], incomplete: str) -> list[str]:
    """The labels that start with what was typed, in their own order, ignoring case (the
    options take any case)."""
    typed = incomplete.casefold()
    return [label for label in labels if label.casefold().startswith(typed)]


def segments(incomplete: str) -> list[str]:
    return _starting(SEGMENTS, incomplete)


def frequencies(incomplete: str) -> list[str]:
    return _starting(FREQUENCIES, incomplete)


def sort_fields(incomplete: str) -> list[str]:
    return _starting(LIST_SORT_FIELDS, incomplete)


def presets(incomplete: str) -> list[str]:
    return _starting(api.PRESET_NAMES, incomplete)


def rfm_segments(ctx: typer.Context, incomplete: str) -> list[str]:
    """The RFM segment names of the settings in effect: --config if typed before, else the
    config file found as a command finds it, else the defaults."""
    typed = ctx.params.get("config_file")  # (a str, not yet a Path, while completing)
    try:
        resolved = api.resolve_settings({}, None if typed is None else Path(typed))
    except Exception:  # a completion must never print a traceback into the command line
        return []
    return _starting(resolved.settings.rfm_labels(), incomplete)


def formats(incomplete: str) -> list[str]:
    from segcli.cli.printing import Format

    return _starting((f.value for f in Format), incomplete)
