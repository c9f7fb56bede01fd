"""Shared options for Typer commands, written into each command's signature.

Typer reads a command's options from its signature. `with_options(factory, name)` adds the
parameters of `factory` to a command's own and calls the command with `name=factory(...)`: the
fourteen options that every command shares are declared once, and each command receives them
as one value. This is the only signature rewriting in segcli; tests/test_signature.py pins it.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from typing import Any


def with_options(factory: Callable[..., Any], name: str) -> Callable[[Callable[..., Any]], Any]:
    """Give a command `factory`'s parameters as options, and pass it `name=factory(...)`."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        own_hints = typing.get_type_hints(command, include_extras=True)
        shared_hints = typing.get_type_hints(factory, include_extras=True)
        own = [
            p.replace(annotation=own_hints[p.name])
            for p in inspect.signature(command).parameters.values()
            if p.name != name
        ]
        shared = [
            p.replace(annotation=shared_hints[p.name], kind=inspect.Parameter.KEYWORD_ONLY)
            for p in inspect.signature(factory).parameters.values()
        ]
        clash = {p.name for p in own} & {p.name for p in shared}
        if clash:
            raise TypeError(f"{command.__name__}: parameters {sorted(clash)} are shared options")

        @functools.wraps(command)
        def wrapper(**kwargs: Any) -> Any:
            values = {p.name: kwargs.pop(p.name) for p in shared}
            return command(**kwargs, **{name: factory(**values)})

        parameters = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + shared
        del wrapper.__wrapped__  # Typer must read the signature below, not the command's
        wrapper.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
        return wrapper

    return decorate
