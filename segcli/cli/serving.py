"""`segcli serve`: the customer API over HTTP. FastAPI and uvicorn come with the `serve` extra
and are imported here only, when the command runs."""

from __future__ import annotations

import ipaddress
from typing import Annotated

import typer

from segcli.cli.boundary import fail, run, tell
from segcli.cli.engine_options import shared_options
from segcli.cli.options import Options
from segcli.output.console import Output

INSTALL = "pip install 'segcli[serve]'"
TOKEN_ENV = "SEGCLI_TOKEN"
_SERVING = "Serving"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@shared_options
def serve(
    host: Annotated[
        str, typer.Option(help="Address to bind.", metavar="HOST", rich_help_panel=_SERVING)
    ] = "127.0.0.1",
    port: Annotated[
        int,
        typer.Option(
            min=0, max=65535, metavar="PORT", help="Port to bind.", rich_help_panel=_SERVING
        ),
    ] = 8000,
    token: Annotated[
        str | None,
        typer.Option(
            envvar=TOKEN_ENV,
            show_envvar=True,
            metavar="TOKEN",
            help="Require Authorization: Bearer TOKEN on every endpoint but /api/health.",
            rich_help_panel=_SERVING,
        ),
    ] = None,
    no_auth: Annotated[
        bool,
        typer.Option(
            "--no-auth",
            metavar="",
            help="Serve a non-loopback address without a token (on a trusted network only).",
            rich_help_panel=_SERVING,
        ),
    ] = False,
    cors_origin: Annotated[
        list[str] | None,
        typer.Option(
            metavar="ORIGIN",
            help="Allow browsers on ORIGIN (e.g. https://dash.example.com) to call the API; "
            "repeatable. Default: no CORS.",
            rich_help_panel=_SERVING,
        ),
    ] = None,
    reload_interval: Annotated[
        float,
        typer.Option(
            min=0,
            metavar="SECONDS",
            help="Look for changed source files this often, and reload them (0: never).",
            rich_help_panel=_SERVING,
        ),
    ] = 10.0,
    options: Options = None,  # type: ignore[assignment]  # given by @shared_options
) -> None:
    """Serve the customer API over HTTP (needs the serve extra)."""
    if not _is_loopback(host) and not token and not no_auth:
        raise typer.BadParameter(
            f"binding {host} needs --token TOKEN (or {TOKEN_ENV}), or --no-auth",
            param_hint="'--host'",
        )
    if token is not None and len(token) < 16:
        raise typer.BadParameter("use a token of at least 16 characters", param_hint="'--token'")

    def work(out: Output) -> None:
        from segcli import serve as server
        from segcli.cli.predicting import quiet_models

        quiet_models(options.timings.enabled)  # for predict=true, as `list --predict` does
        missing = server.requirements_missing()
        if missing:
            message = f"segcli serve needs {' and '.join(missing)}: {INSTALL}"
            fail(out, "table", "MISSING_DEPENDENCY", message, 1)
        config = server.Config(
            host=host,
            port=port,
            token=token or None,
            cors_origins=tuple(cors_origin or ()),
            reload_interval=reload_interval,
        )
        snapshots = server.Snapshots(options.inputs, reload_interval)
        snapshot = snapshots.load()
        tell(out, snapshot.loaded.notices)
        loaded = snapshot.loaded
        out.notice(
            f"serving {loaded.order_count:,} orders of {loaded.customer_count:,} customers "
            f"on http://{host}:{port} (API docs at /docs)"
        )
        server.run(snapshots, options.settings, options.as_of, config)

    run(options.quiet, "table", work)
