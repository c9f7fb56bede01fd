"""The housekeeping commands: `config show` (the settings in effect) and `cache info` / `cache
clear`; and the help a command group prints when no command is given."""

from __future__ import annotations

import typer
from typer.core import TyperCommand, TyperGroup

from segcli import api
from segcli.cli.boundary import run
from segcli.cli.output_options import (
    FormatOpt,
    PrettyOpt,
    QuietOpt,
)
from segcli.cli.printing import Format
from segcli.cli.settings_options import (
    ConfigOpt,
    settings_from_flags,
    settings_options,
)
from segcli.output.console import Output


class _PlainFlags:
    """A flag's help line shows no `<bool>` (it read as if `--strict` took a value): Typer adds
    it to every flag without a metavar, its own --help, --install-completion and
    --show-completion included."""

    def get_params(self, ctx: typer.Context) -> list:
        params = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            if getattr(param, "is_flag", False) and param.metavar is None:
                param.metavar = ""
        return params


class Group(_PlainFlags, TyperGroup):
    """segcli's command groups."""


class Command(_PlainFlags, TyperCommand):
    """segcli's commands."""


config_app = typer.Typer(cls=Group, help="Settings: thresholds and the RFM segment table.")
cache_app = typer.Typer(cls=Group, help="The per-customer cache that makes repeat queries fast.")


def help_without_a_command(ctx: typer.Context) -> None:
    """`segcli` (or `segcli config`) alone prints its help and succeeds: asking is no error."""
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)


config_app.callback(invoke_without_command=True)(help_without_a_command)
cache_app.callback(invoke_without_command=True)(help_without_a_command)


@config_app.command("show", cls=Command)
@settings_options
def config_show(
    output_format: FormatOpt = Format.table,
    pretty: PrettyOpt = False,
    quiet: QuietOpt = False,
    resolved: api.Resolved = None,  # type: ignore[assignment]  # given by @settings_options
) -> None:
    """Show the settings in effect, where each comes from, the RFM segment table and the cache's
    limits."""
    from segcli.output import json, tables

    path = str(resolved.path) if resolved.path else None
    shown = (resolved.settings, resolved.origins, path)

    def work(out: Output) -> None:
        if output_format is Format.json:
            out.text(json.config_json(*shown, resolved.cache_limits, pretty=pretty))
        else:
            out.show(tables.config_tables(*shown, resolved.cache_limits))

    run(quiet, output_format.value, work)


@cache_app.command("info", cls=Command)
def cache_info(
    output_format: FormatOpt = Format.table,
    pretty: PrettyOpt = False,
    quiet: QuietOpt = False,
    config_file: ConfigOpt = None,
) -> None:
    """Where the cache is, what it holds, and how large it may grow."""
    from segcli.output import json, tables

    limits = settings_from_flags(config_file).cache_limits

    def work(out: Output) -> None:
        root, stored = api.cache_entries()
        if output_format is Format.json:
            out.text(json.cache_json(str(root), stored, limits, pretty=pretty))
        else:
            out.show(tables.cache_table(str(root), stored, limits))

    run(quiet, output_format.value, work)


@cache_app.command("clear", cls=Command)
def cache_clear(quiet: QuietOpt = False) -> None:
    """Remove every cache entry."""
    root, removed = api.clear_cache()
    Output(quiet=quiet).notice(
        f"removed {removed} cache entr{'y' if removed == 1 else 'ies'} from {root}"
    )
