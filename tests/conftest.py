"""Fixtures shared by the tests; plain helpers live in helpers.py."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from helpers import DEV_EXAMPLES, Cli, csv_text
from hypothesis import settings

# Hypothesis profiles: `dev` (the default) keeps a developer's run short; `ci` (.ci/run sets
# HYPOTHESIS_PROFILE=ci) runs the full number of examples.
settings.register_profile("dev", max_examples=DEV_EXAMPLES, deadline=None)
settings.register_profile("ci", max_examples=150, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# PyTensor's compiled code (predictions), shared by this process and every server and command it
# starts, and kept between runs: the CLI would otherwise put it under each test's own empty
# cache folder (own_cache), and compiling it again takes a minute. The same folder as the
# subprocess test of `segcli predict` uses (XDG_CACHE_HOME=/tmp/segcli-test-cache).
os.environ.setdefault("PYTENSOR_FLAGS", "base_compiledir=/tmp/segcli-test-cache/segcli/pytensor")


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    def write(rows: Sequence[dict], name: str = "orders.csv", columns=None) -> Path:
        path = tmp_path / name
        path.write_text(csv_text(rows, columns), encoding="utf-8")
        return path

    return write


@pytest.fixture(autouse=True)
def own_cache(tmp_path_factory, monkeypatch) -> Path:
    """Each test has an empty cache of its own, never the user's."""
    root = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(root))
    return root / "segcli"


@pytest.fixture
def cli() -> Cli:
    return Cli()


_FITS: dict[tuple, object] = {}


@pytest.fixture(scope="module")
def shared_fits() -> Iterator[None]:
    """BG/NBD + Gamma-Gamma fitted once per distinct customer summary in the session, and each
    fit's per-customer predictions computed once per horizon, rate and window, then reused:
    each takes seconds, both are deterministic (MAP from fixed start values), and most
    prediction tests ask the same orders through different flags. Everything around them (the
    summary, attaching, filters, sorts, rendering) still runs each time; the fit is tested
    against the scipy reference and on simulated customers, and each horizon and rate asked for
    is computed once for real."""
    import pandas as pd

    from segcli.analytics import predict as models

    fit, per_customer = models.fit_customers, models.per_customer

    def key_of(summary: pd.DataFrame) -> tuple:
        hashed = pd.util.hash_pandas_object(summary).to_numpy().tobytes()
        return (tuple(summary.columns), len(summary), hashlib.sha256(hashed).hexdigest())

    def fit_once(summary: pd.DataFrame):
        key = ("fit", key_of(summary))
        if key not in _FITS:
            _FITS[key] = fit(summary)
        return _FITS[key]

    def per_customer_once(fitted, summary: pd.DataFrame, horizon_days, *args, **kwargs):
        key = (
            "per customer",
            id(fitted),
            key_of(summary),
            horizon_days,
            args,
            tuple(kwargs.items()),
        )
        if key not in _FITS:
            _FITS[key] = (fitted, per_customer(fitted, summary, horizon_days, *args, **kwargs))
        return _FITS[key][1].copy()  # (the fit is kept, so that its id is not reused)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(models, "fit_customers", fit_once)
        patch.setattr(models, "per_customer", per_customer_once)
        yield
