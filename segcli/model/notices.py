"""What the library has to say besides its results: notices, returned with each result and never
printed by the library. A front end shows them (the CLI on stderr) and words their hints."""

from __future__ import annotations

from dataclasses import dataclass

from segcli.model.errors import Hint


@dataclass(frozen=True)
class Notice:
    """One line of information: what was assumed, skipped or set aside."""

    text: str
    hint: Hint | None = None  # a setting that changes what the notice reports

    def __str__(self) -> str:
        return self.text


def count(n: int, noun: str) -> str:
    """`1 order`, `2,000 orders`: a number and its noun, for notices and messages."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
