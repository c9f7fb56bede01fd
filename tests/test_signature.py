"""cli/signature.py: shared options written into a command's signature, as Typer reads it."""

from __future__ import annotations

import inspect
from typing import Annotated

import pytest
import typer
from typer.testing import CliRunner

from segcli.cli.signature import with_options


def shared(
    colour: Annotated[str, typer.Option(help="A shared option.")] = "red",
    loud: Annotated[bool, typer.Option("--loud")] = False,
) -> str:
    return f"{colour}{'!' if loud else ''}"


shared_options = with_options(shared, "style")


def test_the_command_gets_its_own_and_the_shared_parameters():
    @shared_options
    def command(name: Annotated[str, typer.Argument()], style: str = "") -> str:
        return f"{name}:{style}"

    assert list(inspect.signature(command).parameters) == ["name", "colour", "loud"]
    assert command(name="x", colour="blue", loud=True) == "x:blue!"


def test_typer_parses_the_shared_options():
    app = typer.Typer()
    seen = []

    @app.command()
    @shared_options
    def command(name: Annotated[str, typer.Argument()], style: str = "") -> None:
        seen.append((name, style))

    result = CliRunner().invoke(app, ["ada", "--colour", "green", "--loud"])
    assert result.exit_code == 0, result.output
    assert seen == [("ada", "green!")]
    assert "--colour" in CliRunner().invoke(app, ["--help"]).output


def test_a_parameter_that_shadows_a_shared_option_is_refused():
    with pytest.raises(TypeError, match="colour"):

        @shared_options
        def command(colour: str = "", style: str = "") -> None:  # pragma: no cover
            pass
