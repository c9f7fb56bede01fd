"""A long-lived snapshot (`segcli serve`'s) reuses its fit for an explicit as-of
(predictions.Fits): the same answer as a fresh fit, a bounded memo, never for the default as-of
(the moment of each request), and none carried over to a reloaded snapshot."""

from __future__ import annotations

import pytest
from helpers import AS_OF, AS_OF_MS, DAY

from segcli import api, predictions

pytestmark = pytest.mark.usefixtures("shared_fits")  # one fit per distinct summary (conftest)


@pytest.fixture
def fits(monkeypatch) -> list[int]:
    """The as-of of each fit actually computed (each still computed)."""
    asked: list[int] = []
    real = predictions.fit

    def counted(loaded, at_ms):
        asked.append(at_ms)
        return real(loaded, at_ms)

    monkeypatch.setattr(predictions, "fit", counted)
    return asked


def test_an_explicit_as_of_is_fitted_once_and_answers_as_a_fresh_fit(fits):
    served = api.snapshot()
    first = api.customers(served, None, AS_OF, forecast=api.Forecast(), limit=7)
    other = api.customers(served, None, AS_OF, forecast=api.Forecast(90, 0.1), limit=7)
    assert fits == [AS_OF_MS]  # the horizon and the rate are not the fit's
    once = api.load(keep_orders=True)  # no memo: what a CLI run computes
    assert once.memo is None
    assert (
        first.json_text()
        == api.customers(once, None, AS_OF, forecast=api.Forecast(), limit=7).json_text()
    )
    assert (
        other.json_text()
        == api.customers(once, None, AS_OF, forecast=api.Forecast(90, 0.1), limit=7).json_text()
    )
    assert len(fits) == 3
    counts = api.breakdown(served, None, AS_OF, forecast=api.Forecast())
    assert len(fits) == 3  # a breakdown with predictions takes the kept fit too
    assert (
        counts.json_text() == api.breakdown(once, None, AS_OF, forecast=api.Forecast()).json_text()
    )


def test_the_default_as_of_is_fitted_every_time(fits):
    served = api.snapshot()
    api.customers(served, forecast=api.Forecast(), limit=1)
    api.customers(served, forecast=api.Forecast(), limit=1)
    assert len(fits) == 2
    assert predictions.FITS not in served.memo


def test_the_memo_keeps_the_latest_few_and_a_reloaded_snapshot_starts_its_own(monkeypatch):
    asked: list[int] = []
    monkeypatch.setattr(
        predictions, "fit", lambda loaded, at_ms: asked.append(at_ms) or f"fit {at_ms}"
    )
    served = api.snapshot()
    instants = [AS_OF_MS - k * DAY for k in range(predictions.FITS_KEPT + 1)]
    for at in instants[: predictions.FITS_KEPT]:
        assert predictions.kept_fit(served, at, explicit=True) == f"fit {at}"
    predictions.kept_fit(served, instants[0], explicit=True)  # the oldest, asked again: kept
    assert asked == instants[: predictions.FITS_KEPT]
    predictions.kept_fit(served, instants[-1], explicit=True)  # one more: the least recent goes
    predictions.kept_fit(served, instants[0], explicit=True)
    assert asked[-1] == instants[-1]
    predictions.kept_fit(served, instants[1], explicit=True)
    assert asked[-1] == instants[1]  # it was the least recently asked for
    assert len(served.memo[predictions.FITS].kept) == predictions.FITS_KEPT
    reloaded = api.snapshot()
    assert predictions.kept_fit(reloaded, instants[0], explicit=True) == f"fit {instants[0]}"
    assert asked[-1] == instants[0]
    predictions.kept_fit(served, instants[0], explicit=False)  # not explicit: fitted again
    assert asked[-1] == instants[0] and len(asked) == predictions.FITS_KEPT + 4
