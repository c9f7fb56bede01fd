"""Predictions (issue 14): the per-customer summary, pymc-marketing's BG/NBD against an
independent scipy reference, recovery of known parameters from simulated customers, and the
missing-extra error."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from btyd_reference import bgnbd_log_likelihood, bgnbd_p_alive, simulate
from helpers import AS_OF_MS, DAY, Cli, csv_text, order
from scipy.optimize import minimize

from segcli import api
from segcli.analytics import predict as models
from segcli.core import metrics

cli = Cli()

pytestmark = pytest.mark.usefixtures("shared_fits")  # one fit per distinct summary (conftest)


def write(tmp_path, rows) -> str:
    path = tmp_path / "orders.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    return str(path)


def summary_of(path: str, as_of_ms: int = AS_OF_MS) -> pd.DataFrame:
    loaded = api.load(api.Inputs(paths=(path,)), keep_orders=True)
    return metrics.repeat_summary(loaded.orders, as_of_ms).set_index("contactID")


def test_the_summary_counts_distinct_order_days(tmp_path):
    first = (AS_OF_MS // DAY - 100) * DAY  # the start of a day
    rows = [
        order("a", first, "10.00"),
        order("a", first + 3_600_000, "5.00"),  # the same day: one order day of 15.00
        order("a", first + 10 * DAY, "20.00"),
        order("a", first + 10 * DAY + 60_000, "4.00"),  # the same day: 24.00
        order("a", first + 40 * DAY, "36.00"),
        order("b", first + 50 * DAY, "99.00"),
        order("c", AS_OF_MS + DAY, "50.00"),  # after the as-of: not yet a customer
    ]
    summary = summary_of(write(tmp_path, rows))
    assert list(summary.index) == ["a", "b"]
    a, b = summary.loc["a"], summary.loc["b"]
    assert (a["frequency"], a["recency"], a["T"]) == (2, 40, 100)
    assert a["monetary"] == pytest.approx((24 + 36) / 2)  # repeat days only
    assert (b["frequency"], b["recency"], b["T"], b["monetary"]) == (0, 0, 50, 0)


def test_the_summary_ignores_the_order_of_rows(tmp_path):
    rng = np.random.default_rng(3)
    rows = [
        order(f"c{k % 7}", AS_OF_MS - int(rng.integers(0, 400)) * DAY, f"{k}.50") for k in range(80)
    ]
    forward = summary_of(write(tmp_path, rows)).sort_index()
    (tmp_path / "b").mkdir()
    backward = summary_of(write(tmp_path / "b", rows[::-1])).sort_index()
    pd.testing.assert_frame_equal(forward, backward)


# --- pymc-marketing against the scipy reference --------------------------------------------


@pytest.fixture(scope="module")
def sample_fit():
    loaded = api.load(keep_orders=True)
    return api.predict(loaded)


def test_the_fit_is_the_maximum_of_the_reference_likelihood(sample_fit):
    """Flat priors: the MAP estimates maximise the likelihood, as scipy finds it from the
    paper's formula, and the reported log-likelihood is the reference's at the estimates."""
    s = sample_fit.summary
    data = (s["frequency"].to_numpy(), s["recency"].to_numpy(), s["T"].to_numpy())
    fitted = sample_fit.fit.bgnbd
    ours = bgnbd_log_likelihood(*data, **fitted).sum()
    assert sample_fit.fit.log_likelihood == pytest.approx(ours, rel=1e-9)

    def negative(log_params):
        return -bgnbd_log_likelihood(*data, *np.exp(log_params)).sum()

    best = minimize(
        negative,
        np.zeros(4),
        method="Nelder-Mead",
        options={"maxiter": 20000, "xatol": 1e-8, "fatol": 1e-8},
    )
    assert -best.fun <= ours + 1e-3  # nothing scipy finds is better
    for name, value in zip(models.BGNBD_PARAMETERS, np.exp(best.x), strict=True):
        assert fitted[name] == pytest.approx(value, rel=1e-2), name


def test_pymc_marketing_per_customer_numbers_match_the_reference(sample_fit):
    bgnbd, _ = sample_fit.fit.models
    s = sample_fit.summary
    data = (s["frequency"].to_numpy(), s["recency"].to_numpy(), s["T"].to_numpy())
    params = sample_fit.fit.bgnbd
    alive = bgnbd.expected_probability_alive().values.ravel()
    np.testing.assert_allclose(alive, bgnbd_p_alive(*data, **params), rtol=1e-8)
    point = {f"{k}_log__": np.log(v) for k, v in params.items()}
    logp = bgnbd.model.compile_logp(vars=bgnbd.model.observed_RVs, jacobian=False, sum=False)
    per_customer = np.asarray(logp(point)[0]).ravel()
    np.testing.assert_allclose(per_customer, bgnbd_log_likelihood(*data, **params), rtol=1e-8)


def test_the_goodness_of_fit_counts_follow_the_model(sample_fit):
    """P(X(t) = x), the goodness-of-fit table's formula (FHL 2005 eq. 8), sums to 1 over x and
    has the mean pymc-marketing gives for a new customer's purchases in t (eq. 9)."""
    bgnbd, _ = sample_fit.fit.models
    params = sample_fit.fit.bgnbd
    t = np.array([30.0, 365.0, 728.0])
    pmf = np.stack([models.frequency_pmf(x, t, **params) for x in range(3000)])
    np.testing.assert_allclose(pmf.sum(axis=0), 1.0, atol=1e-6)
    mean = (np.arange(3000)[:, None] * pmf).sum(axis=0)
    expected = [float(bgnbd.expected_purchases_new_customer(t=v).values.mean()) for v in t]
    np.testing.assert_allclose(mean, expected, rtol=1e-4)
    table = sample_fit.fit.frequencies
    assert table["actual"].sum() == sample_fit.fit.customers
    assert (table["expected"] > 0).all()


# --- simulation: known parameters recovered ------------------------------------------------

TRUE_BGNBD = {"r": 0.8, "alpha": 40.0, "a": 0.8, "b": 2.5}  # alpha in days
TRUE_GAMMA = {"p": 6.0, "q": 4.0, "v": 15.0}  # mean spend per order p*v/(q-1) = 30
CUSTOMERS = 20_000
BGNBD_TOLERANCE = 0.10  # relative, each parameter
GAMMA_TOLERANCE = 0.15  # relative, each parameter (p, q and v trade off against each other)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory) -> Path:
    """20,000 customers drawn from the models with known parameters, as an order file."""
    tmp_path = tmp_path_factory.mktemp("simulated")
    rng = np.random.default_rng(20251023)
    start = (AS_OF_MS // DAY - 540) * DAY  # the start of a day; first orders at midday
    first_day = rng.integers(0, 180, CUSTOMERS)  # customers arrive over half a year
    T = (540 - first_day).astype(float) - 0.5  # to the end of the as-of day
    who, when, spend = simulate(rng, CUSTOMERS, T, **TRUE_BGNBD, **TRUE_GAMMA)
    ms = start + first_day[who] * DAY + DAY // 2 + np.floor(when * DAY).astype(np.int64)
    frame = pd.DataFrame(
        {
            "orderReference": [f"o{k}" for k in range(len(who))],
            "contactID": np.char.add("c", who.astype(str)),
            "orderDate": pd.to_datetime(ms, unit="ms", utc=True).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "total": np.maximum(np.round(spend, 2), 0.01),
        }
    )
    path = tmp_path / "simulated.csv"
    frame.to_csv(path, index=False)
    return path


def test_simulated_customers_give_back_their_parameters(simulated):
    path = simulated
    started = time.perf_counter()
    result = cli.json("predict", "--orders", path, "--as-of", "2025-10-23")
    print(f"predict took {time.perf_counter() - started:.1f} s")
    model = result["data"]["model"]
    print("recovered:", model["bgnbd"], model["gammaGamma"])
    assert model["customers"] == CUSTOMERS
    for name, true in TRUE_BGNBD.items():
        got = model["bgnbd"][name]
        assert abs(got - true) <= BGNBD_TOLERANCE * true, (name, got, true)
    for name, true in TRUE_GAMMA.items():
        got = model["gammaGamma"][name]
        assert abs(got - true) <= GAMMA_TOLERANCE * true, (name, got, true)


# --- the command and the missing extra -----------------------------------------------------


def test_predict_prints_the_model_as_json():
    document = cli.json("predict")
    model = document["data"]["model"]
    assert set(model) == {"bgnbd", "gammaGamma", "timeUnit", "customers", "fitted"}
    assert set(model["bgnbd"]) == {"r", "alpha", "a", "b"}
    assert set(model["gammaGamma"]) == {"p", "q", "v"}
    assert model["timeUnit"] == "day" and 0 < model["fitted"] < model["customers"]
    labels = [row["repeatOrders"] for row in document["data"]["repeatOrders"]]
    assert labels == ["0", "1", "2", "3", "4", "5", "6", "7+"]


def test_predict_keeps_pytensor_off_stdout_and_stderr_quiet():
    result = subprocess.run(
        [sys.executable, "-m", "segcli", "predict", "--format", "json"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env={
            "NO_COLOR": "1",
            "TERM": "dumb",
            "PATH": "/usr/bin:/bin",
            "HOME": "/tmp",
            "XDG_CACHE_HOME": "/tmp/segcli-test-cache",
            "XDG_CONFIG_HOME": "/nonexistent",
        },
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    json.loads(result.stdout)  # nothing but the document
    lines = result.stderr.splitlines()
    assert len(lines) == 2, lines  # the sample's notice and the Gamma-Gamma notice
    assert "left out" in lines[1]


MISSING = (
    "import sys\n"
    "sys.modules['pymc_marketing'] = None  # as if the predict extra were not installed\n"
    "from segcli.cli import main\n"
    "sys.argv = ['segcli', 'predict', '--format', 'json']\n"
    "main()\n"
)


def test_without_the_extra_predict_says_how_to_install_it():
    result = subprocess.run(
        [sys.executable, "-c", MISSING],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env={
            "NO_COLOR": "1",
            "TERM": "dumb",
            "PATH": "/usr/bin:/bin",
            "XDG_CONFIG_HOME": "/nonexistent",
        },
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    error = [line for line in result.stderr.splitlines() if line.startswith("error")]
    assert error == ["error: predictions need pymc-marketing: pip install 'segcli[predict]'"]
    assert json.loads(result.stdout)["error"]["code"] == "MISSING_DEPENDENCY"


def test_other_commands_never_import_the_models():
    code = (
        "import sys\n"
        "from segcli.cli import main\n"
        "sys.argv = ['segcli', 'list', '--limit', '1', '--format', 'json']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('pymc', 'pymc_marketing', 'pytensor') if m in sys.modules),"
        " file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env={
            "NO_COLOR": "1",
            "TERM": "dumb",
            "PATH": "/usr/bin:/bin",
            "XDG_CONFIG_HOME": "/nonexistent",
        },
        timeout=120,
        check=False,
    )
    assert result.stderr.splitlines()[-1] == "[]"


def test_the_dormant_probability_is_the_chance_of_no_order_in_the_window(sample_fit):
    """P(no order in (T, T+t]): pymc-marketing's own formula for customers with repeat orders;
    for those without, alive for certain (the model's δ(x > 0)), so ((α+T)/(α+T+t))^r, which
    pymc-marketing's method does not give (it keeps the dropout term for x = 0)."""
    bgnbd, _ = sample_fit.fit.models
    s = sample_fit.summary
    x, age = s["frequency"].to_numpy(), s["T"].to_numpy(dtype=np.float64)
    r, alpha = sample_fit.fit.bgnbd["r"], sample_fit.fit.bgnbd["alpha"]
    table = models.per_customer(sample_fit.fit, s, 365, dormant_days=90)
    ours = table["dormantProbability"].to_numpy()
    theirs = bgnbd.expected_probability_no_purchase(90, models._model_data(s)).values.ravel()
    repeat = x > 0
    assert repeat.any() and (~repeat).any()
    np.testing.assert_allclose(ours[repeat], theirs[repeat], rtol=1e-9)
    once = ((alpha + age[~repeat]) / (alpha + age[~repeat] + 90)) ** r
    np.testing.assert_allclose(ours[~repeat], once, rtol=1e-12)
    churn = table["churnProbability"].to_numpy()
    assert np.all(churn <= ours + 1e-12) and np.all(ours <= 1)
    alive, days = table["pAlive"].to_numpy(), s["T"].to_numpy(dtype=np.float64)
    never = models.no_order_probability(alive, x, days, 0, r, alpha)
    np.testing.assert_allclose(never, 1.0)  # no order in no time at all
    longer = models.no_order_probability(alive, x, days, 365, r, alpha)
    assert np.all(longer <= ours) and np.all(longer >= churn - 1e-12)


# --- list --predict ------------------------------------------------------------------------

CONTACTS = Path(__file__).resolve().parent.parent / "sample_data" / "exports" / "contacts.csv"


@pytest.fixture(scope="module")
def predicted_list():
    return cli.json("list", "--predict", "--customers", CONTACTS)["data"]


def test_list_predict_adds_a_prediction_to_every_customer(predicted_list):
    with_orders = [c for c in predicted_list if c["metrics"]["orderCount"]]
    assert len(with_orders) == 305
    for record in with_orders:
        p = record["metrics"]["prediction"]
        assert list(p) == [
            "pAlive",
            "churnProbability",
            "dormantProbability",
            "expectedOrders",
            "expectedOrderValue",
            "clv",
            "horizonDays",
        ]
        assert 0 <= p["pAlive"] <= 1 and p["churnProbability"] == pytest.approx(1 - p["pAlive"])
        assert p["churnProbability"] <= p["dormantProbability"] <= 1
        assert p["horizonDays"] == 365 and p["expectedOrders"] >= 0
        for money in ("expectedOrderValue", "clv"):
            whole, cents = p[money].split(".")
            assert whole.isdigit() and len(cents) == 2
        # no discount: CLV is expected orders times expected spend per order (both rounded)
        # expected orders are shown to 2 decimals: off by 0.005 at most, times the value
        value = float(p["expectedOrderValue"])
        clv = float(p["expectedOrders"]) * value
        assert float(p["clv"]) == pytest.approx(clv, rel=1e-3, abs=0.005 * value + 0.01)


def test_customers_without_orders_get_nulls(predicted_list):
    without = [c for c in predicted_list if not c["metrics"]["orderCount"]]
    assert without, "the contacts file has customers with no orders"
    for record in without:
        assert set(record["metrics"]["prediction"].values()) == {None}


def test_the_sort_and_the_filters_use_the_predictions(predicted_list):
    by_clv = cli.json("list", "--sort", "clv", "--limit", "20")["data"]  # the sort implies it
    clvs = [float(c["metrics"]["prediction"]["clv"]) for c in by_clv]
    assert clvs == sorted(clvs, reverse=True)
    everyone = {c["contactID"]: c["metrics"]["prediction"] for c in predicted_list}
    assert clvs[0] == max(float(p["clv"]) for p in everyone.values() if p["clv"] is not None)
    risky = cli.json("list", "--min-churn", "0.5", "--max-churn", "0.9", "--limit", "0")
    expected = [
        k
        for k, p in everyone.items()
        if p["churnProbability"] is not None and 0.5 <= p["churnProbability"] <= 0.9
    ]
    assert risky["meta"]["total"] == len(expected) > 0
    rich = cli.json("list", "--min-clv", "5000", "--limit", "0")
    assert rich["meta"]["total"] == sum(
        1 for p in everyone.values() if p["clv"] is not None and float(p["clv"]) >= 5000
    )


def test_dormant_days_set_the_window_and_the_sort_takes_it(predicted_list):
    """A 30-day window is easier to pass without an order than the default 90 days."""
    data = cli.json(
        "list", "--sort", "dormantProbability", "--asc", "--dormant-days", "30", "--limit", "400"
    )["data"]
    shorter = {c["contactID"]: c["metrics"]["prediction"] for c in data}
    values = [p["dormantProbability"] for p in shorter.values()]
    assert values == sorted(values) and len(values) == 305
    assert all(round(v, 4) == v for v in values)  # four decimals, as pAlive and churn
    by_id = {c["contactID"]: c["metrics"]["prediction"] for c in predicted_list}
    pairs = [(p["dormantProbability"], by_id[k]["dormantProbability"]) for k, p in shorter.items()]
    assert all(short >= usual for short, usual in pairs)
    assert any(short > usual for short, usual in pairs)


def test_the_discount_rate_and_the_horizon_change_what_is_expected():
    def top(*args):
        data = cli.json("list", "--predict", "--sort", "contactID", "--asc", "--limit", "5", *args)
        return [c["metrics"]["prediction"] for c in data["data"]]

    plain, discounted, short = top(), top("--discount-rate", "0.2"), top("--horizon", "90")
    for p, d, s in zip(plain, discounted, short, strict=True):
        assert float(d["clv"]) < float(p["clv"])
        # every step discounted by at most 1.2 (a whole year), at least by its first month's
        assert float(p["clv"]) / 1.2 <= float(d["clv"]) * 1.0001
        assert s["expectedOrders"] < p["expectedOrders"] and s["horizonDays"] == 90


def test_csv_and_the_table_show_the_predictions():
    text = cli("list", "--predict", "--csv", "--limit", "3").stdout
    header = text.splitlines()[0].split(",")
    assert header[-7:] == [
        "pAlive",
        "churnProbability",
        "dormantProbability",
        "expectedOrders",
        "expectedOrderValue",
        "clv",
        "horizonDays",
    ]
    table = cli("list", "--predict", "--limit", "3", env={"COLUMNS": "200"}).stdout
    assert "Churn" in table and "CLV" in table and "Exp. orders" in table
    assert "P(dormant)" in table
    picked = cli("list", "--columns", "contactID,pAlive,clv", "--csv", "--limit", "2").stdout
    assert picked.splitlines()[0] == "contactID,pAlive,clv"


# Total predicted vs actual repeat order days, relative. Observed: predictions 4% high, as
# counting distinct order days merges the same-day orders that the continuous-time model counts.
HOLDOUT_TOLERANCE = 0.05
# Each calibration group's mean (groups of 500+ customers): 0.05 orders per customer (about
# 2.5 standard errors of a 2,000-customer group's mean) plus 5% (the day-counting bias).
HOLDOUT_GROUP_ORDERS, HOLDOUT_GROUP_SHARE = 0.05, 0.05


def test_the_holdout_view_matches_the_simulated_truth(simulated):
    """Fit to the first 450 days, predict the last 90: on customers drawn from the model,
    predictions and what happened agree (day rounding and sampling noise aside)."""
    document = cli.json(
        "predict", "--orders", simulated, "--as-of", "2025-10-23", "--holdout", "2025-07-25"
    )
    holdout = document["data"]["holdout"]
    assert holdout["days"] == 90 and holdout["from"].startswith("2025-07-25")
    assert abs(holdout["predicted"] - holdout["actual"]) <= HOLDOUT_TOLERANCE * holdout["actual"]
    groups = [g for g in holdout["calibration"] if g["customers"] >= 500]
    assert len(groups) >= 3
    for group in groups:
        allowed = HOLDOUT_GROUP_ORDERS + HOLDOUT_GROUP_SHARE * group["actual"]
        assert abs(group["predicted"] - group["actual"]) <= allowed, group
    assert (
        sum(g["customers"] for g in holdout["calibration"])
        == document["data"]["model"]["customers"]
    )


def test_the_holdout_table_and_a_holdout_after_the_as_of():
    table = cli("predict", "--holdout", "2025-04-23", env={"COLUMNS": "100"})
    assert table.exit_code == 0, table.stderr
    assert "Holdout: 2025-04-23 to 2025-10-23 (183 days)" in table.stdout
    assert "mean absolute error" in table.stdout
    late = cli("predict", "--holdout", "2025-10-24")
    assert late.exit_code == 2
    assert "before the as-of" in late.stderr


def test_breakdown_predict_sums_the_customers_predictions(predicted_list):
    document = cli.json("breakdown", "--predict")
    everyone = [c for c in predicted_list if c["metrics"]["orderCount"]]
    for by, key in (("segment", "segment"), ("purchaseFrequency", "purchaseFrequency")):
        for category, row in document["data"][by].items():
            members = [
                c["metrics"]["prediction"] for c in everyone if c["metrics"][key] == category
            ]
            assert row["expectedOrders"] == pytest.approx(
                sum(p["expectedOrders"] for p in members), abs=0.01 * len(members) + 0.01
            ), (by, category)
            assert float(row["clv"]) == pytest.approx(
                sum(float(p["clv"]) for p in members), abs=0.01 * len(members) + 0.01
            ), (by, category)
    table = cli("breakdown", "--predict", env={"COLUMNS": "140"}).stdout
    assert "CLV" in table and "Exp." in table
