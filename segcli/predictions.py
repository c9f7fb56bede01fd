"""Predictions for `segcli.api`: the per-customer summary of the orders (core/metrics), the
models fitted to it (analytics/predict, with pymc-marketing), and each customer's predictions
joined to the classified customers."""

from __future__ import annotations

import threading
from collections import OrderedDict

import pandas as pd

from segcli.analytics import predict as models
from segcli.core import metrics
from segcli.loading import Classified, Loaded
from segcli.model.errors import UsageError
from segcli.model.notices import Notice
from segcli.model.options import Forecast
from segcli.results import Prediction

FITS = "fits"  # a long-lived Loaded's memo: its Fits
FITS_KEPT = 4  # fits a snapshot keeps, the least recently asked for dropped first


class Fits:
    """The fits of one long-lived snapshot (a server's), by as-of instant: a fit reads only
    the orders up to the as-of (not the settings, the horizon or the rate, which the
    per-customer predictions read each time), and takes seconds. Only explicit as-ofs are kept:
    the default, the moment of each request, is never asked for twice."""

    def __init__(self) -> None:
        self.kept: OrderedDict[int, Prediction] = OrderedDict()
        self.lock = threading.Lock()  # a server computes two requests at once

    def get(self, at_ms: int) -> Prediction | None:
        with self.lock:
            found = self.kept.get(at_ms)
            if found is not None:
                self.kept.move_to_end(at_ms)
            return found

    def put(self, at_ms: int, prediction: Prediction) -> None:
        with self.lock:
            self.kept[at_ms] = prediction
            self.kept.move_to_end(at_ms)
            while len(self.kept) > FITS_KEPT:
                self.kept.popitem(last=False)


def kept_fit(loaded: Loaded, at_ms: int, explicit: bool) -> Prediction:
    """`fit`, from the snapshot's Fits when the as-of was given (`explicit`) and the snapshot is
    long-lived (a new snapshot, after a reload, has a memo and Fits of its own)."""
    if not explicit or loaded.memo is None:
        return fit(loaded, at_ms)
    fits = loaded.memo.setdefault(FITS, Fits())
    found = fits.get(at_ms)
    if found is None:
        found = fit(loaded, at_ms)
        fits.put(at_ms, found)
    return found


def fit(loaded: Loaded, at_ms: int) -> Prediction:
    """The models fitted to the customers as of `at_ms` (MissingDependencyError without the
    predict extra)."""
    with loaded.timings.stage("import models"):  # pymc-marketing, PyMC, PyTensor: seconds
        models.require()
    if loaded.orders is None:
        raise ValueError("the orders were not loaded: predictions need them (keep_orders=True)")
    with loaded.timings.stage("summary"):
        summary = metrics.repeat_summary(loaded.orders, at_ms)
    with loaded.timings.stage("fit"):
        fitted, notices = models.fit_customers(summary)
    meta = {"currency": loaded.currency} if loaded.currency else {}
    return Prediction(fitted, summary, at_ms, notices, meta)


def attached(
    loaded: Loaded,
    at: Classified,
    ahead: Forecast | None,
    dormant_days: int,
    explicit: bool = False,
) -> tuple[pd.DataFrame, tuple[Notice, ...]]:
    """The classified customers, with their predictions when `ahead` is given (the chance of
    no order within `dormant_days` among them), and the notices of both; `explicit`: the as-of
    was given, and a long-lived snapshot may reuse its fit (`kept_fit`)."""
    if ahead is None:
        return at.customers, at.notices
    customers, notices = forecast(loaded, at.as_of_ms, at.customers, ahead, dormant_days, explicit)
    return customers, at.notices + notices


def forecast(
    loaded: Loaded,
    at_ms: int,
    customers: pd.DataFrame,
    ahead: Forecast,
    dormant_days: int,
    explicit: bool = False,
) -> tuple[pd.DataFrame, tuple[Notice, ...]]:
    """`customers` with each one's predictions `ahead`, and the fit's notices."""
    prediction = kept_fit(loaded, at_ms, explicit)
    with loaded.timings.stage("predict"):
        table = models.per_customer(
            prediction.fit,
            prediction.summary,
            ahead.horizon_days,
            ahead.discount_rate,
            dormant_days,
        )
        return models.attach(customers, table), prediction.notices


def holdout(loaded: Loaded, holdout_ms: int, at_ms: int) -> tuple[Prediction, models.Holdout]:
    """The models fitted to the orders up to `holdout_ms`, and how their predictions of each
    customer's repeat orders in (holdout, as-of] compare with what happened."""
    if holdout_ms >= at_ms:
        raise UsageError("holdout", "the holdout date must be before the as-of instant")
    prediction = fit(loaded, holdout_ms)
    assert loaded.orders is not None  # fit says so otherwise
    later = metrics.repeat_summary(loaded.orders, at_ms)
    days = at_ms // metrics.DAY_MS - holdout_ms // metrics.DAY_MS
    with loaded.timings.stage("holdout"):
        compared = models.holdout(prediction.fit, prediction.summary, later, days)
    return prediction, compared
