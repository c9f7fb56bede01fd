"""The command-line front end: Typer commands over `segcli.api` (app.py), their shared options
(options.py, signature.py), the renderer chosen per format (printing.py), and the error
boundary (boundary.py)."""

from segcli.cli.commands import app, main

__all__ = ["app", "main"]
