"""`GET /api/customers/{contactID}` answered without FastAPI: the most frequent request, whose
own work (segcli/showing.py) takes about 0.1 ms, spent three times that in FastAPI's routing,
dependency injection and middleware. This plain ASGI layer sits inside the guard (so the token,
the bounds and the log line are the same) and inside CORS, in front of the app: it answers a
`show` whose query is empty or only `asOf`, with the endpoint's own code and bytes, and passes
everything else (other parameters, other paths and methods) to the app unchanged."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl

from starlette.responses import Response

from segcli import api
from segcli.serve.errors import JSON, envelope, from_error
from segcli.serve.guard import ASGIApp, Receive, Scope, Send

PREFIX = "/api/customers/"
AS_OF = "asOf"

# The endpoint's body for (contactID, the asOf given or None); SegcliError for a refusal.
Show = Callable[[str, str | None], bytes]


class Shortcut:
    def __init__(self, app: ASGIApp, show: Show) -> None:
        self.app = app
        self.show = show

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        taken = _taken(scope) if scope["type"] == "http" else None
        if taken is None:
            await self.app(scope, receive, send)
            return
        try:
            response = Response(self.show(*taken), media_type=JSON)
        except api.SegcliError as err:
            response = from_error(err)
        except Exception as exc:
            # What the app's handler sends; then raised, as Starlette does, for the server's log.
            await envelope(500, "INTERNAL", f"unexpected {type(exc).__name__}")(
                scope, receive, send
            )
            raise
        await response(scope, receive, send)


def _taken(scope: Scope) -> tuple[str, str | None] | None:
    """(contactID, asOf or None) when this request is a `show` the shortcut answers as the app
    would: GET, the route's path (an id without `/`, as `{contactID}` matches), no root path,
    and a query of nothing but one `asOf` (parsed as Starlette parses it). Otherwise None."""
    path = scope["path"]
    if scope["method"] != "GET" or not path.startswith(PREFIX) or scope.get("root_path"):
        return None
    contact_id = path[len(PREFIX) :]
    if not contact_id or "/" in contact_id:
        return None
    query = scope.get("query_string", b"")
    if not query:
        return contact_id, None
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    if len(pairs) != 1 or pairs[0][0] != AS_OF:
        return None
    return contact_id, pairs[0][1]
