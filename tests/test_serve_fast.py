"""`segcli serve`'s fast `show` (segcli/serve/shortcut.py): answered in front of FastAPI, it must
be the app's answer, status, headers and bytes, behind the same token, CORS and log line; a real
server in a subprocess, called with httpx. An extra query parameter (which the endpoint ignores)
sends the same question to the app itself, to compare."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from helpers import AS_OF
from test_serve import DASHBOARD, TOKEN, Server

from segcli.serve.shortcut import _taken

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """The bundled sample (its newest order is at the as-of the README shows), with a token and
    CORS for one origin."""
    folder = tmp_path_factory.mktemp("fast")
    started = Server("--no-cache", "--cors-origin", DASHBOARD, env={"SEGCLI_TOKEN": TOKEN},
                     log=folder / "server.log")  # fmt: skip
    try:
        yield started.wait()
    finally:
        started.stop()


SHOWS = [
    "/api/customers/c-1018",
    f"/api/customers/c-1018?asOf={AS_OF}",
    "/api/customers/c-1018?asOf=2025-10-23T22:42:45.077Z",  # the newest order's instant
    "/api/customers/c-1018?asOf=2025-06-30",  # before the newest order: the general path
    "/api/customers/c-1018?asOf=2030-01-01T00:00:00%2B13:00",
    "/api/customers/c-1018?asOf=",
    "/api/customers/c-1018?asOf=tomorrow",
    "/api/customers/C-1018%20",  # trimmed, and the lower-case form
    "/api/customers/nobody",
    "/api/customers/caf%C3%A9%20%22x%22",
    "/api/customers/c-1291?asOf=1999-01-01",  # before any of its orders
]


def via_app(path: str) -> str:
    return path + ("&" if "?" in path else "?") + "via=app"


@pytest.mark.parametrize("path", SHOWS)
def test_a_show_in_front_of_the_app_is_the_apps_answer(server, path):
    assert _taken(scope_of(path)) is not None
    assert _taken(scope_of(via_app(path))) is None
    fast = httpx.get(server.url + path, headers=AUTH)
    slow = httpx.get(server.url + via_app(path), headers=AUTH)
    assert fast.status_code == slow.status_code
    assert fast.content == slow.content
    assert without_date(fast.headers) == without_date(slow.headers)


def test_the_fast_show_has_the_token_cors_and_log_line_of_every_request(server):
    refused = httpx.get(f"{server.url}/api/customers/c-1018")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "UNAUTHORIZED"
    assert (
        httpx.get(f"{server.url}/api/customers/c-1018", headers={"Authorization": "x"}).status_code
        == 401
    )
    crossed = httpx.get(f"{server.url}/api/customers/c-1018", headers={**AUTH, "Origin": DASHBOARD})
    assert crossed.status_code == 200
    assert crossed.headers["access-control-allow-origin"] == DASHBOARD
    other = httpx.get(
        f"{server.url}/api/customers/c-1018", headers={**AUTH, "Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in other.headers
    httpx.get(f"{server.url}/api/customers/c-1018?asOf={AS_OF}", headers=AUTH)
    lines = [line for line in server.log.read_text().splitlines() if line.startswith("GET ")]
    assert any(line.startswith("GET /api/customers/{contactID} 401 ") for line in lines)
    assert any(line.startswith("GET /api/customers/{contactID}?asOf= 200 ") for line in lines)
    assert not [line for line in lines if "c-1018" in line or AS_OF in line]


def scope_of(path: str, method: str = "GET", root_path: str = "") -> dict:
    """A request's ASGI scope as uvicorn gives it: the path percent-decoded, the query not."""
    from urllib.parse import unquote

    route, _, query = path.partition("?")
    return {"type": "http", "method": method, "path": unquote(route), "root_path": root_path,
            "query_string": query.encode()}  # fmt: skip


@pytest.mark.parametrize(
    ("path", "method", "taken"),
    [
        ("/api/customers/c-1", "GET", ("c-1", None)),
        ("/api/customers/c-1?asOf=2025-01-01", "GET", ("c-1", "2025-01-01")),
        ("/api/customers/c-1?asOf=", "GET", ("c-1", "")),
        ("/api/customers/c-1?asOf=a%2Bb+c", "GET", ("c-1", "a+b c")),  # as Starlette parses it
        ("/api/customers/a%20b", "GET", ("a b", None)),
        ("/api/customers/c-1?asOf=1&asOf=2", "GET", None),  # the app decides which one counts
        ("/api/customers/c-1?asof=2025-01-01", "GET", None),
        ("/api/customers/c-1?limit=1", "GET", None),
        ("/api/customers/c-1?", "GET", ("c-1", None)),
        ("/api/customers/c-1", "HEAD", None),
        ("/api/customers/c-1", "DELETE", None),
        ("/api/customers/", "GET", None),
        ("/api/customers", "GET", None),
        ("/api/customers/a%2Fb", "GET", None),  # `{contactID}` matches no `/`
        ("/api/customers/a/b", "GET", None),
        ("/api/customersx/a", "GET", None),
        ("/api/breakdown", "GET", None),
    ],
)
def test_which_requests_the_shortcut_takes(path, method, taken):
    assert _taken(scope_of(path, method)) == taken


def test_under_a_root_path_the_app_routes():
    assert _taken(scope_of("/api/customers/c-1", root_path="/segcli")) is None


def without_date(headers: httpx.Headers) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers.multi_items() if k != "date"]
