"""Errors as the server sends them: the CLI's JSON error envelope
(`{"success": false, "error": {"code", "message"}}`) with an HTTP status. A bad parameter is
400 INVALID_INPUT, an unknown customer 404 NOT_FOUND; nothing carries a traceback."""

from __future__ import annotations

from starlette.responses import Response

from segcli.model.errors import SegcliError, UsageError
from segcli.output.escapes import shown
from segcli.output.json import error_json

# A feature whose optional extra this server lacks (predict=true without pymc-marketing) is 501
# Not Implemented: the request is valid and the fix is the server's (the message names the
# install command), where a 4xx would tell the client to change its request.
STATUS = {"INVALID_INPUT": 400, "NOT_FOUND": 404, "UNAUTHORIZED": 401, "MISSING_DEPENDENCY": 501}
JSON = "application/json"


class BadParameter(SegcliError):
    """A query parameter the server refuses; `name` is the parameter."""

    code = "INVALID_INPUT"

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")


def envelope(status: int, code: str, message: str) -> Response:
    return Response(error_json(code, shown(message)).encode(), status_code=status, media_type=JSON)


def from_error(err: SegcliError) -> Response:
    """A library error as a response: a usage error names the parameter it is about."""
    message = err.message
    if isinstance(err, UsageError) and not message.startswith(f"{err.option}:"):
        message = f"{err.option}: {message}"
    return envelope(STATUS.get(err.code, 500), err.code, message)
