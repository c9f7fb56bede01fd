"""Errors the core raises; cli.py turns them into one stderr line, a JSON error and an exit code."""

from __future__ import annotations

EXIT_FAILURE = 1  # the work could not be done (SPEC §6)


class SegcliError(Exception):
    """Base class: a message a user understands, an API error code and an exit code."""

    code = "INVALID_INPUT"
    exit_code = EXIT_FAILURE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInputError(SegcliError):
    """Malformed input: bad values, skipped rows under --strict, ambiguous headers."""

    code = "INVALID_INPUT"


class MissingColumnError(SegcliError):
    """A required column is not in a file's header."""

    code = "MISSING_COLUMN"


class UnreadableError(SegcliError):
    """A source cannot be opened or decoded at all."""

    code = "UNREADABLE"


class NotFoundError(SegcliError):
    """An unknown contactID."""

    code = "NOT_FOUND"
