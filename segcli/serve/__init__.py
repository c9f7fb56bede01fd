"""`segcli serve`: the customer API over HTTP, from FastAPI and uvicorn (the `serve` extra).
Only the `serve` command imports this package, so that the rest of segcli never pays for it.

    app.py        the endpoints: query -> segcli.api -> the CLI's JSON bytes
    snapshots.py  the orders, loaded once and swapped whole when the files change
    guard.py      token, request bounds and the request log, before the app
    shortcut.py   `show` answered in front of FastAPI, with the endpoint's code and bytes
    models.py     the documents' shapes, for /openapi.json and /docs
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from segcli import api
from segcli.serve.snapshots import Snapshots

if TYPE_CHECKING:
    from segcli.serve.guard import Guard


@dataclass(frozen=True)
class Config:
    """How to serve: where, with which token (None: none needed), and for which origins CORS
    headers are sent (none: no CORS)."""

    host: str = "127.0.0.1"
    port: int = 8000
    token: str | None = None
    cors_origins: tuple[str, ...] = ()
    reload_interval: float = 10.0


def build(
    snapshots: Snapshots, settings: api.Settings, as_of_ms: int | None, config: Config
) -> Guard:
    """The ASGI application: the app behind the shortcut for `show`, behind CORS (when origins
    are given), behind the guard."""
    from starlette.middleware.cors import CORSMiddleware

    from segcli.serve.app import Served, create_app
    from segcli.serve.guard import Guard
    from segcli.serve.shortcut import Shortcut

    sources = tuple(snapshots.inputs.paths) or ("(bundled sample)",)
    served = Served(snapshots, settings, as_of_ms, sources)
    outer: Any = Shortcut(create_app(served), served.show)
    if config.cors_origins:
        outer = CORSMiddleware(
            outer,
            allow_origins=list(config.cors_origins),
            allow_methods=["GET"],
            allow_headers=["Authorization"],
        )
    return Guard(outer, token=config.token, log=_log)


def run(snapshots: Snapshots, settings: api.Settings, as_of_ms: int | None, config: Config) -> None:
    """Serve until interrupted, reloading in the background."""
    import uvicorn

    application = build(snapshots, settings, as_of_ms, config)
    snapshots.start()
    try:
        uvicorn.run(
            application,
            host=config.host,
            port=config.port,
            access_log=False,  # the guard logs each request, without its query's values
            log_level="warning",
            server_header=False,
            limit_concurrency=256,
            timeout_graceful_shutdown=5,
        )
    finally:
        snapshots.stop()


def _log(line: str) -> None:
    sys.stderr.write(line + "\n")


def requirements_missing() -> Sequence[str]:
    """The serve extra's packages that cannot be imported."""
    import importlib

    missing = []
    for name in ("fastapi", "uvicorn"):
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    return missing
