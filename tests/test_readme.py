"""The README is the front door: every example in it runs and prints what it shows, and its two
set-up commands are the ones CI runs."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import jq
import pytest
from typer.testing import CliRunner

from segcli.cli import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
pytestmark = pytest.mark.usefixtures("shared_fits")  # one fit per distinct summary (conftest)
README_ENV = {
    "COLUMNS": "100",
    "NO_COLOR": "1",
    "TERM": "dumb",
    "XDG_CONFIG_HOME": "/nonexistent/segcli-tests",  # the reader's own config must not count
}


def console_examples() -> list[tuple[str, list[str]]]:
    """(command, expected output lines) for every `$ ` line of every console block."""
    examples = []
    for block in re.findall(r"```console\n(.*?)```", README, flags=re.S):
        current = None
        for line in block.splitlines():
            if line.startswith("$ "):
                current = (line[2:], [])
                examples.append(current)
            else:
                current[1].append(line.rstrip())
    return examples


def run_jq(arguments: list[str], text: str) -> str:
    """jq as the README uses it (flags -r / -c, then a filter), through libjq's binding."""
    flags = {a for a in arguments if a.startswith("-")}
    program = next(a for a in arguments if not a.startswith("-"))
    out = []
    for value in jq.compile(program).input_text(text).all():
        if "-r" in flags and isinstance(value, str):
            out.append(value)
        elif "-c" in flags or "-r" in flags:
            out.append(json.dumps(value, separators=(",", ":"), ensure_ascii=False))
        else:
            out.append(json.dumps(value, indent=2, ensure_ascii=False))
    return "".join(f"{line}\n" for line in out)


def run(command: str) -> str:
    """The example's segcli command, run in-process (as the installed command runs it, without
    a new interpreter per example), then its jq stages."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars="|")
    lexer.whitespace_split = True
    stages: list[list[str]] = [[]]
    for token in lexer:  # split at the pipes that are not inside quotes
        if token == "|":
            stages.append([])
        else:
            stages[-1].append(token)
    piped_from = stages.pop(0)[1] if stages[0][0] == "cat" else None
    env = dict(README_ENV)
    while "=" in stages[0][0]:  # COLUMNS=60 segcli ...
        name, _, value = stages[0].pop(0).partition("=")
        env[name] = value
    assert stages[0][0] == "segcli" and all(s[0] == "jq" for s in stages[1:]), command
    if piped_from is None:
        done = CliRunner().invoke(app, stages[0][1:], env={**env, "SEGCLI_ORDERS": None})
        code, stdout, stderr = done.exit_code, done.stdout, done.stderr
    else:  # `cat FILE | segcli ...`: the installed command, reading a real pipe
        code, stdout, stderr = run_piped(stages[0][1:], ROOT / piped_from, env)
    assert code == 0, stderr
    assert "error" not in stderr.lower()
    assert "skipped" not in stderr  # an example that loses rows would be a bad example
    text = stdout
    for stage in stages[1:]:
        text = run_jq(stage[1:], text)
    return text


def run_piped(arguments: list[str], path: Path, env: dict[str, str]) -> tuple[int, str, str]:
    """The installed `segcli` with the file's bytes on a pipe, as `cat FILE | segcli` runs."""
    segcli = str(Path(sys.executable).with_name("segcli"))
    environment = {**os.environ, **env}
    environment.pop("SEGCLI_ORDERS", None)
    done = subprocess.run(
        [segcli, *arguments],
        input=path.read_bytes(),
        capture_output=True,
        cwd=ROOT,
        env=environment,
    )
    return done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")


@pytest.fixture(autouse=True)
def in_the_checkout(monkeypatch):
    """Examples name files relative to the repository's root."""
    monkeypatch.chdir(ROOT)


EXAMPLES = console_examples()


@pytest.mark.parametrize(("command", "expected"), EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_readme_example_prints_what_the_readme_shows(command, expected):
    got = [line.rstrip() for line in run(command).splitlines()]
    if expected:
        assert got == expected
    else:
        assert got  # an example shown without output must still print something


def test_readme_has_the_examples_the_issue_asks_for():
    commands = " ".join(command for command, _ in EXAMPLES)
    for needle in (
        "--segment VIP",
        "--segment Dormant",
        "--segment New",
        '"Weekly"',
        "lastOrderDaysAgo > 60",
        "group_by(.metrics.segment)",
        "avgSpend",
    ):
        assert needle in commands


def test_setup_commands_are_what_ci_runs():
    setup = re.findall(r"```sh\n(.*?)\n```", README, flags=re.S)
    assert len(setup) == 2, "the README opens with exactly two set-up commands"
    install_and_run, install_and_test = setup
    assert install_and_run.endswith("segcli breakdown")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert install_and_test in ci


def python_examples() -> list[tuple[str, str]]:
    """(code, printed output) for every `python` block followed by a `text` block."""
    return re.findall(r"```python\n(.*?)```\n\n```text\n(.*?)```", README, flags=re.S)


@pytest.mark.parametrize(("code", "expected"), python_examples())
def test_readme_python_example_prints_what_the_readme_shows(code, expected, capsys):
    exec(compile(code, "README.md", "exec"), {})
    assert capsys.readouterr().out == expected


def test_readme_has_a_python_example():
    assert any("from segcli import api" in code for code, _ in python_examples())


def test_readme_stderr_blocks_are_what_the_command_says():
    """A ```text block after "stderr says" is the stderr of the console example just before."""
    blocks = re.findall(
        r"```console\n\$ ([^\n]*)\n(?:(?!```).)*```\n\nstderr says[^\n]*\n\n```text\n(.*?)```",
        README,
        re.S,
    )
    assert blocks, "the README shows what a command says on stderr"
    for command, expected in blocks:
        segcli = shlex.split(command.split(" | ")[0])[1:]
        done = CliRunner().invoke(app, segcli, env={**README_ENV, "SEGCLI_ORDERS": None})
        assert done.exit_code == 0, done.stderr
        assert done.stderr == expected, command
