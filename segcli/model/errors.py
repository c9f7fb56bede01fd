"""Errors the library raises. A front end turns them into its own form: the CLI into one stderr
line, a JSON error and an exit code (cli/boundary.py); the HTTP server into a status and the same
JSON envelope.

Messages are the library's words and never name a front end's flags. Where a setting would help,
an error (or a notice) carries a `Hint`, and each front end words the hint its own way: the CLI as
a flag (`--strict allows none`), an HTTP server as a query parameter.
"""

from __future__ import annotations

from enum import StrEnum

EXIT_FAILURE = 1  # the work could not be done (SPEC §6)
EXIT_USAGE = 2  # a bad option or setting


class Hint(StrEnum):
    """Advice that names a setting, worded by the front end."""

    STRICT = "strict"  # under strict reading, the problem is an error
    INCLUDE_CANCELLED = "include-cancelled"  # orders set aside can be counted
    INPUT_FORMAT = "input-format"  # the format could not be told from the name
    INPUT_FORMAT_CSV = "input-format-csv"  # a file that is not Parquet may be CSV
    ENCODING_UTF16 = "encoding-utf16"  # binary-looking text may be UTF-16
    ENCODING_LEGACY = "encoding-legacy"  # text that is not UTF-8 may be cp1252
    MAPPING = "mapping"  # a preset or a column mapping reads a shop's own export
    OWN_ORDERS = "own-orders"  # the bundled sample was used; how to read one's own orders
    DELIMITER = "delimiter"  # the header decided the CSV delimiter; it can be given instead
    DATE_ORDER = "date-order"  # the order of day and month in dates can be given
    CURRENCY = "currency"  # one currency of several can be kept
    AS_OF = "as-of"  # the instant to look from can be given
    COLUMN = "column"  # a column mapping decides which header plays a role
    LINE_TOTALS = "line-totals"  # how a line-level file's total column is read can be given


class SegcliError(Exception):
    """Base class: a message a user understands, an API error code, an exit code, and an
    optional hint."""

    code = "INVALID_INPUT"
    exit_code = EXIT_FAILURE

    def __init__(self, message: str, *, hint: Hint | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class InvalidInputError(SegcliError):
    """Malformed input: bad values, skipped rows under strict reading, ambiguous headers."""

    code = "INVALID_INPUT"


class NoValidOrdersError(InvalidInputError):
    """Every row of the input was skipped: nothing is left to count."""


class MissingColumnError(SegcliError):
    """A required column is not in a file's header. `proposal` ({role: header, or None when no
    header looks like it}) is the mapping that would most likely read the file, for the front end
    to offer in its own words."""

    code = "MISSING_COLUMN"

    def __init__(
        self,
        message: str,
        *,
        hint: Hint | None = None,
        proposal: dict[str, str | None] | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.proposal = proposal or {}


class UnreadableError(SegcliError):
    """A source cannot be opened or decoded at all."""

    code = "UNREADABLE"


class MissingDependencyError(SegcliError):
    """An optional extra that a feature needs is not installed; the message names the install
    command."""

    code = "MISSING_DEPENDENCY"


class NotFoundError(SegcliError):
    """An unknown contactID."""

    code = "NOT_FOUND"


class UsageError(SegcliError):
    """A bad argument to a library function; `option` names it (`from`, `to`, ...)."""

    code = "INVALID_INPUT"
    exit_code = EXIT_USAGE

    def __init__(self, option: str, message: str) -> None:
        super().__init__(message)
        self.option = option


class SettingsError(SegcliError, ValueError):
    """A setting is invalid; `key` is its public name (flag / config key)."""

    code = "INVALID_INPUT"
    exit_code = EXIT_USAGE

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.args = (f"{key}: {message}",)
        self.key = key


class ConfigError(SegcliError, ValueError):
    """The config file is unreadable or holds an invalid setting; names the file and the key."""

    code = "INVALID_INPUT"
    exit_code = EXIT_USAGE

    def __init__(self, path: object, key: str | None, message: str) -> None:
        super().__init__(message)
        where = f"{path}" if key is None else f"'{key}' in {path}"
        self.args = (f"{where}: {message}",)
        self.path = path
        self.key = key
