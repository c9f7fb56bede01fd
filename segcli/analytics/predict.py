"""Predictions: BG/NBD (Fader, Hardie & Lee 2005) for repeat orders and Gamma-Gamma for spend
per order, fitted by pymc-marketing (the `predict` extra). pymc-marketing, PyMC and PyTensor are
imported by the functions here only, when they run, so that nothing else pays for them.

Both models are fitted by maximum a posteriori with flat priors (`HalfFlat` on every parameter):
the estimates are the maximum-likelihood values the literature publishes, and they do not move
when pymc-marketing changes its default priors. Time is counted in days.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from segcli.model.errors import InvalidInputError, MissingDependencyError
from segcli.model.notices import Notice
from segcli.model.schema import (
    CHURN_PROBABILITY,
    CLV_CENTS,
    CONTACT_ID,
    DORMANT_PROBABILITY,
    EXPECTED_ORDER_VALUE_CENTS,
    EXPECTED_ORDERS,
    HORIZON_DAYS,
    P_ALIVE,
    PREDICTION_COLUMNS,
)
from segcli.model.settings import DEFAULT_DORMANT_DAYS

PACKAGES = ("pymc_marketing",)  # what the `predict` extra brings (with PyMC and PyTensor)
BGNBD_PARAMETERS = ("r", "alpha", "a", "b")
GAMMA_GAMMA_PARAMETERS = ("p", "q", "v")
TOP_FREQUENCY = 7  # the goodness-of-fit table's last row is "7 or more repeat orders"


@contextmanager
def _quiet() -> Iterator[None]:
    """PyMC's and PyTensor's warnings (deprecations, compile notes) during a fit: not the
    user's concern. Scoped to the fit; the process's own filters are left as they were."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


INSTALL = "pip install 'segcli[predict]'"


def require() -> None:
    """MissingDependencyError, naming the install command, without the predict extra."""
    missing = requirements_missing()
    if missing:
        raise MissingDependencyError(f"predictions need {' and '.join(missing)}: {INSTALL}")


def requirements_missing() -> list[str]:
    """The predict extra's packages that cannot be imported."""
    missing = []
    for name in PACKAGES:
        try:
            with _quiet():  # ArviZ warns of its coming refactor on import
                importlib.import_module(name)
        except ImportError:
            missing.append(name.replace("_", "-"))
    return missing


@dataclass(frozen=True)
class Fit:
    """The fitted models: BG/NBD parameters over every customer with an order, Gamma-Gamma's
    over those with positive repeat spend (`gamma_gamma` empty when there are none)."""

    bgnbd: dict[str, float]
    gamma_gamma: dict[str, float]
    customers: int
    fitted: int  # customers in the Gamma-Gamma fit
    log_likelihood: float  # BG/NBD's, at the estimates
    frequencies: pd.DataFrame = field(repr=False)  # repeatOrders, actual, expected
    models: tuple = field(default=(), repr=False, compare=False)  # pymc-marketing's, for reuse


def _flat(names: tuple[str, ...]) -> dict:
    from pymc_extras.prior import Prior

    return {name: Prior("HalfFlat") for name in names}


def _model_data(summary: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": np.arange(len(summary)),
            "frequency": summary["frequency"].to_numpy(),
            "recency": summary["recency"].to_numpy(),
            "T": summary["T"].to_numpy(),
            "monetary_value": summary["monetary"].to_numpy(),
        }
    )


def fit_customers(summary: pd.DataFrame) -> tuple[Fit, tuple[Notice, ...]]:
    """`fit`, and a notice of the customers Gamma-Gamma left out. InvalidInputError when no
    customer has a repeat order day: there is nothing to learn repeat buying from."""
    if not (summary["frequency"] > 0).any():
        raise InvalidInputError(
            "no customer ordered on more than one day by the as-of instant: "
            "the models have nothing to learn repeat buying from"
        )
    fitted = fit(summary)
    notices = []
    if fitted.fitted < fitted.customers:
        left_out = fitted.customers - fitted.fitted
        notices.append(
            Notice(
                f"spend per order fitted to {fitted.fitted:,} of {fitted.customers:,} customers: "
                f"{left_out:,} without positive repeat spend were left out"
            )
        )
    return fitted, tuple(notices)


def fit(summary: pd.DataFrame) -> Fit:
    """Fit BG/NBD to `summary` (metrics.repeat_summary) and Gamma-Gamma to its customers with
    positive repeat spend."""
    with _quiet():
        from pymc_marketing.clv import BetaGeoModel, GammaGammaModel

        data = _model_data(summary)
        bgnbd = BetaGeoModel(model_config=_flat(BGNBD_PARAMETERS))
        bgnbd.fit(data=data, method="map", progressbar=False)
        values = _estimates(bgnbd, BGNBD_PARAMETERS)
        log_likelihood = _log_likelihood(bgnbd, values)
        spenders = data[(data["frequency"] > 0) & (data["monetary_value"] > 0)]
        spenders = spenders.assign(customer_id=np.arange(len(spenders)))
        gamma_values: dict[str, float] = {}
        gamma = None
        if len(spenders):
            gamma = GammaGammaModel(model_config=_flat(GAMMA_GAMMA_PARAMETERS))
            gamma.fit(data=spenders, method="map", progressbar=False)
            gamma_values = _estimates(gamma, GAMMA_GAMMA_PARAMETERS)
    return Fit(
        bgnbd=values,
        gamma_gamma=gamma_values,
        customers=len(summary),
        fitted=len(spenders),
        log_likelihood=log_likelihood,
        frequencies=frequency_fit(summary, values),
        models=(bgnbd, gamma),
    )


def _estimates(model, names: tuple[str, ...]) -> dict[str, float]:
    return {name: float(model.fit_result[name].values.ravel()[0]) for name in names}


def _log_likelihood(model, values: dict[str, float]) -> float:
    """The model's log density of the data at the estimates: with flat priors and no Jacobian,
    the log-likelihood."""
    point = {f"{name}_log__": np.log(value) for name, value in values.items()}
    return float(model.model.compile_logp(jacobian=False)(point))


def frequency_pmf(x: int, t: np.ndarray, r: float, alpha: float, a: float, b: float) -> np.ndarray:
    """P(X(t) = x) under BG/NBD, per element of `t` (Fader, Hardie & Lee 2005, equation 8)."""
    from scipy.special import betainc, betaln, gammaln

    t = np.asarray(t, dtype=np.float64)
    log_ratio = np.log(alpha) - np.log(alpha + t)
    log_share = np.log(t, out=np.full_like(t, -np.inf), where=t > 0) - np.log(alpha + t)

    def nbd(j: int) -> np.ndarray:  # Γ(r+j)/(Γ(r) j!) (α/(α+t))^r (t/(α+t))^j
        share = j * log_share if j else 0.0
        return np.exp(gammaln(r + j) - gammaln(r) - gammaln(j + 1) + r * log_ratio + share)

    first = np.exp(betaln(a, b + x) - betaln(a, b)) * nbd(x)
    if x == 0:
        return first
    # 1 - sum of nbd(j) for j < x: the NBD's chance of x or more, in closed form (the regularised
    # incomplete beta function), exact where the sum is, and O(1) instead of O(x)
    tail = betainc(x, r, np.exp(log_share))
    return first + np.exp(betaln(a + 1, b + x - 1) - betaln(a, b)) * tail


def frequency_fit(summary: pd.DataFrame, values: dict[str, float]) -> pd.DataFrame:
    """Customers with 0, 1, ... 6 and 7+ repeat orders: as counted, and as the model expects
    given each customer's time since the first order."""
    t = summary["T"].to_numpy()
    expected = [frequency_pmf(x, t, **values).sum() for x in range(TOP_FREQUENCY)]
    expected.append(len(t) - sum(expected))
    counted = np.bincount(np.minimum(summary["frequency"].to_numpy(), TOP_FREQUENCY), minlength=8)
    labels = [str(x) for x in range(TOP_FREQUENCY)] + [f"{TOP_FREQUENCY}+"]
    return pd.DataFrame(
        {"repeatOrders": labels, "actual": counted[: TOP_FREQUENCY + 1], "expected": expected}
    )


STEP_DAYS = 30  # discounting steps: the horizon in 30-day periods (the last one shorter)
YEAR_DAYS = 365


def no_order_probability(
    alive: np.ndarray, frequency: np.ndarray, age: np.ndarray, days: int, r: float, alpha: float
) -> np.ndarray:
    """P(X(T, T+t] = 0 | x, t_x, T) under BG/NBD: the chance of no order in the next `days`
    days (t), given P(alive) at T, the repeat order days x and the age T (days since the first
    order). A customer who has left never orders again; one who is alive dies only after an
    order, so orders nothing in t days with chance exp(-λt), and λ given the history is
    Gamma(r + x, α + T): P = 1 - P(alive) + P(alive) ((α + T) / (α + T + t))^(r + x).

    This is Fader & Hardie's closed form (the notes' section 5.3 with y = 0) written through
    P(alive). pymc-marketing's `expected_probability_no_purchase` gives the same for x > 0, but
    for x = 0 it keeps the dropped-out term that the model's δ(x > 0) removes."""
    log_quiet = (r + frequency) * (np.log(alpha + age) - np.log(alpha + age + days))
    return 1.0 - alive + alive * np.exp(log_quiet)


def per_customer(
    fitted: Fit,
    summary: pd.DataFrame,
    horizon_days: int,
    discount_rate: float = 0.0,
    dormant_days: int = DEFAULT_DORMANT_DAYS,
) -> pd.DataFrame:
    """Each customer's predictions over the next `horizon_days`, in `summary`'s order:
    P(alive) and its complement, the probability of no order in the next `dormant_days`
    (no_order_probability), expected orders E[X(h)], expected spend per order (Gamma-Gamma's
    conditional mean; the population's mean for a customer without positive repeat spend), and
    CLV in cents.

    CLV = m * sum_k (E[X(t_k)] - E[X(t_{k-1})]) / (1 + d)^(t_k / 365), with t_k = min(30 k, h),
    t_0 = 0, m the expected spend per order and d the annual discount rate: the expected orders
    of each 30-day step, valued at its end. With d = 0 it is m * E[X(h)]."""
    bgnbd, gamma = fitted.models
    data = _model_data(summary)
    ends = np.unique(
        np.minimum(np.arange(1, horizon_days // STEP_DAYS + 2) * STEP_DAYS, horizon_days)
    )
    with _quiet():
        alive = bgnbd.expected_probability_alive(data).values.ravel()
        cumulative = np.stack(
            [bgnbd.expected_purchases(data, future_t=int(t)).values.ravel() for t in ends]
        )
        if gamma is not None:
            positive = data["monetary_value"].to_numpy() > 0
            spend_data = data.assign(frequency=np.where(positive, data["frequency"], 0))
            value = gamma.expected_customer_spend(spend_data).values.ravel()
        else:
            value = np.full(len(data), np.nan)
    steps = np.diff(cumulative, axis=0, prepend=0.0)
    factors = (1.0 + discount_rate) ** (-ends / YEAR_DAYS)
    discounted = (steps * factors[:, None]).sum(axis=0)
    return pd.DataFrame(
        {
            CONTACT_ID: summary[CONTACT_ID].to_numpy(),
            P_ALIVE: alive,
            CHURN_PROBABILITY: 1.0 - alive,
            DORMANT_PROBABILITY: no_order_probability(
                alive,
                data["frequency"].to_numpy(dtype=np.float64),
                data["T"].to_numpy(dtype=np.float64),
                dormant_days,
                fitted.bgnbd["r"],
                fitted.bgnbd["alpha"],
            ),
            EXPECTED_ORDERS: cumulative[-1],
            EXPECTED_ORDER_VALUE_CENTS: value * 100,
            CLV_CENTS: value * 100 * discounted,
            HORIZON_DAYS: float(horizon_days),
        }
    )


def attach(customers: pd.DataFrame, predictions: pd.DataFrame) -> pd.DataFrame:
    """The customers with their predictions, matched by contactID; missing (NaN) for a customer
    with no orders by the as-of instant (a contacts file's)."""
    where = pd.Index(predictions[CONTACT_ID]).get_indexer(customers[CONTACT_ID])
    found = where >= 0
    columns = {
        name: np.where(found, predictions[name].to_numpy()[np.maximum(where, 0)], np.nan)
        for name in PREDICTION_COLUMNS
    }
    return customers.assign(**columns)


@dataclass(frozen=True)
class Holdout:
    """Predicted vs actual repeat order days in the holdout period, per calibration customer,
    and the calibration table: customers grouped by their calibration-period repeat orders
    (0 ... 7+), mean predicted vs mean actual holdout repeat orders."""

    days: int  # the holdout period's length
    predicted: float  # total over the customers
    actual: int
    mean_absolute_error: float  # per customer
    table: pd.DataFrame = field(repr=False)  # repeatOrders, customers, predicted, actual


def holdout(fitted: Fit, calibration: pd.DataFrame, later: pd.DataFrame, days: int) -> Holdout:
    """`fitted` on the `calibration` summary (orders up to the holdout day) predicts each of its
    customers' repeat order days over the next `days`; `later` (the summary at the as-of day)
    says how many there were: its frequency less the calibration one. Customers first seen in
    the holdout period are not predicted and not counted."""
    bgnbd, _ = fitted.models
    with _quiet():
        data = _model_data(calibration)
        predicted = bgnbd.expected_purchases(data, future_t=days).values.ravel()
    where = pd.Index(later[CONTACT_ID]).get_indexer(calibration[CONTACT_ID])
    actual = later["frequency"].to_numpy()[where] - calibration["frequency"].to_numpy()
    group = np.minimum(calibration["frequency"].to_numpy(), TOP_FREQUENCY)
    size = np.bincount(group, minlength=TOP_FREQUENCY + 1)
    shown = np.maximum(size, 1)
    labels = [str(x) for x in range(TOP_FREQUENCY)] + [f"{TOP_FREQUENCY}+"]
    table = pd.DataFrame(
        {
            "repeatOrders": labels,
            "customers": size,
            "predicted": np.bincount(group, weights=predicted, minlength=len(size)) / shown,
            "actual": np.bincount(group, weights=actual, minlength=len(size)) / shown,
        }
    )
    return Holdout(
        days=days,
        predicted=float(predicted.sum()),
        actual=int(actual.sum()),
        mean_absolute_error=float(np.abs(predicted - actual).mean()),
        table=table,
    )
