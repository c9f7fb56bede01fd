"""Known answers (issue 14): segcli's own fit reproduces the estimates published on the CDNOW
sample (tests/data/README.md), the field's standard benchmark.

- BG/NBD: Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way: An Alternative to
  the Pareto/NBD Model", Marketing Science 24(2), 275-284: r = 0.243, alpha = 4.414, a = 0.793,
  b = 2.426, log-likelihood -9582.4 (time in weeks). CLVTools' test suite checks the same values
  (tests/testthat/test_correctness_bgnbd.R).
- Gamma-Gamma: Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value",
  http://brucehardie.com/notes/025/gamma_gamma.pdf: p = 6.25, q = 3.74, v = 15.44, fitted to the
  946 customers with a repeat purchase, on their mean repeat spend.

The summary is in weeks where segcli's is in days; the estimates of r, a, b, p, q, v do not
depend on the unit, and alpha is in the unit of the input (weeks here, as published).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from segcli.analytics import predict as models
from segcli.model.schema import CONTACT_ID

CDNOW = Path(__file__).parent / "data" / "cdnow_summary.csv"
CUSTOMERS = 2_357
REPEAT_CUSTOMERS = 946  # customers with a repeat purchase: the Gamma-Gamma sample
RELATIVE = 0.01  # each estimate within 1% of the published value
BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "v": 15.44}
LOG_LIKELIHOOD = -9582.4
LOG_LIKELIHOOD_DIGIT = 0.05  # half a unit in the paper's last printed digit


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    """The published summary in the columns metrics.repeat_summary gives segcli's fit."""
    data = pd.read_csv(CDNOW)
    return pd.DataFrame(
        {
            CONTACT_ID: np.arange(len(data)).astype(str),
            "frequency": data["frequency"].astype(np.int64),
            "recency": data["recency"].astype(np.float64),
            "T": data["T"].astype(np.float64),
            "monetary": data["monetary_value"].astype(np.float64),
        }
    )


@pytest.fixture(scope="module")
def fitted(cdnow: pd.DataFrame) -> tuple[models.Fit, tuple]:
    return models.fit_customers(cdnow)  # one fit of each model, as `segcli predict` does


def test_the_data_is_the_published_sample(cdnow):
    assert len(cdnow) == CUSTOMERS
    assert int((cdnow["frequency"] > 0).sum()) == REPEAT_CUSTOMERS
    assert ((cdnow["monetary"] > 0) == (cdnow["frequency"] > 0)).all()
    assert (cdnow["recency"] <= cdnow["T"]).all()


@pytest.mark.parametrize("name", list(BGNBD))
def test_bgnbd_reproduces_fader_hardie_lee_2005(fitted, name):
    fit, _ = fitted
    assert fit.customers == CUSTOMERS
    assert fit.bgnbd[name] == pytest.approx(BGNBD[name], rel=RELATIVE)


def test_the_bgnbd_log_likelihood_is_the_published_one(fitted):
    fit, _ = fitted
    assert fit.log_likelihood == pytest.approx(LOG_LIKELIHOOD, abs=LOG_LIKELIHOOD_DIGIT)


@pytest.mark.parametrize("name", list(GAMMA_GAMMA))
def test_gamma_gamma_reproduces_fader_hardie_2013(fitted, name):
    fit, notices = fitted
    assert fit.fitted == REPEAT_CUSTOMERS
    assert fit.gamma_gamma[name] == pytest.approx(GAMMA_GAMMA[name], rel=RELATIVE)
    assert [notice.text for notice in notices] == [
        f"spend per order fitted to {REPEAT_CUSTOMERS:,} of {CUSTOMERS:,} customers: "
        f"{CUSTOMERS - REPEAT_CUSTOMERS:,} without positive repeat spend were left out"
    ]
