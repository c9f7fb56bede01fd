"""How CSV is written, as a front end asks for it: light (no pandas), so that the CLI can
build it while it parses options."""

from __future__ import annotations

from dataclasses import dataclass

BOM = "\ufeff"  # Excel reads a file as UTF-8 only after it


@dataclass(frozen=True)
class Dialect:
    """How the CSV is written: the separator (`,` or a tab for TSV), a header row, a BOM for
    Excel, and the formula guard (off for pipelines that feed other programs)."""

    separator: str = ","
    headers: bool = True
    bom: bool = False
    guard: bool = True


CSV = Dialect()
