"""`-v/--verbose`: the library fills a Timings it is given (and prints nothing); the CLI says on
stderr how long each stage took. Off, nothing is recorded."""

from __future__ import annotations

import re
from pathlib import Path

from helpers import AS_OF, Cli

from segcli import api
from segcli.model.timings import NO_TIMINGS, Timings

FIXTURE = Path(__file__).parent / "golden" / "orders.csv"
ON_FIXTURE = ("--orders", str(FIXTURE), "--as-of", AS_OF)
TIMING = re.compile(r"^timings: (.*); command (\d+\.\d{3}) s$", re.M)


def stages(stderr: str) -> dict[str, float]:
    (found,) = TIMING.findall(stderr)
    pairs = (part.rsplit(" ", 2) for part in found[0].split(", "))
    return {name: float(seconds) for name, seconds, unit in pairs if unit == "s"}


def test_verbose_times_every_stage_on_stderr_and_leaves_stdout_alone(cli: Cli):
    plain = cli("list", *ON_FIXTURE, "--json", "--no-cache")
    timed = cli("list", *ON_FIXTURE, "--json", "--no-cache", "-v")
    assert timed.exit_code == 0 and timed.stdout == plain.stdout
    assert "timings" not in plain.stderr
    spent = stages(timed.stderr)
    assert list(spent) == ["import", "read", "parse", "aggregate", "classify", "select", "render"]
    assert all(seconds >= 0 for seconds in spent.values())


def test_verbose_speaks_under_quiet_and_names_a_cached_read(cli: Cli):
    after_every_order = ("--orders", str(FIXTURE), "--as-of", "2026-01-01")
    cli("breakdown", *after_every_order)  # fills the cache
    warm = cli("breakdown", *after_every_order, "--verbose", "--quiet")
    assert list(stages(warm.stderr)) == ["import", "read cache", "classify", "render"]
    assert warm.stderr.count("\n") == 1  # the timings, and no notice


def test_the_library_fills_the_timings_it_is_given():
    timings = Timings()
    loaded = api.load(api.Inputs(paths=(str(FIXTURE),)), timings=timings)
    api.customers(loaded, as_of=AS_OF)
    assert {"read", "parse", "classify", "select"} <= set(timings.seconds)
    untimed = api.load(api.Inputs(paths=(str(FIXTURE),)))
    api.customers(untimed, as_of=AS_OF)
    assert untimed.timings is NO_TIMINGS and NO_TIMINGS.seconds == {}
    assert NO_TIMINGS.stage("read") is NO_TIMINGS.stage("parse")  # one shared no-op
