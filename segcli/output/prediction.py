"""Rich tables for `predict`: the fitted parameters, and the goodness-of-fit view (customers
with 0, 1, ... 7+ repeat orders, as counted and as the model expects). Pure renderers."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from segcli.model.schema import format_instant

PARAMETER_NOTES = {
    "r": "shape of the order rate across customers",
    "alpha": "scale of the order rate (days)",
    "a": "drop-out: beta shape a",
    "b": "drop-out: beta shape b",
    "p": "shape of spend per order",
    "q": "shape of the mean spend across customers",
    "v": "scale of the mean spend across customers",
}


def prediction_tables(
    model: Mapping[str, object],
    frequencies: pd.DataFrame,
    log_likelihood: float,
    as_of_ms: int,
) -> Group:
    """The parameters of both models, then expected vs actual customers per repeat orders."""
    params = Table(
        title=f"Fitted models as of {format_instant(as_of_ms)[:10]} (time unit: day)",
        box=box.SIMPLE_HEAD,
        title_justify="left",
    )
    for head, justify in (("Model", "left"), ("Parameter", "left"), ("Estimate", "right")):
        params.add_column(head, justify=justify)  # type: ignore[arg-type]
    params.add_column("Meaning", justify="left")
    bgnbd = model["bgnbd"]
    gamma = model["gammaGamma"] or {}
    assert isinstance(bgnbd, Mapping) and isinstance(gamma, Mapping)
    for name, label in (("bgnbd", "BG/NBD"), ("gammaGamma", "Gamma-Gamma")):
        values = bgnbd if name == "bgnbd" else gamma
        for key, value in values.items():
            params.add_row(Text(label), Text(key), Text(f"{value:.4g}"), Text(PARAMETER_NOTES[key]))
    counts = Text(
        f"BG/NBD: {model['customers']:,} customers, log-likelihood {log_likelihood:,.2f}; "
        f"Gamma-Gamma: {model['fitted']:,} customers with repeat spend",
        style="dim",
    )
    fit = Table(
        title="Repeat orders: actual vs expected customers",
        box=box.SIMPLE_HEAD,
        title_justify="left",
    )
    fit.add_column("Repeat orders")
    fit.add_column("Actual", justify="right")
    fit.add_column("Expected", justify="right")
    fit.add_column("Difference", justify="right")
    for label, actual, expected in zip(
        frequencies["repeatOrders"], frequencies["actual"], frequencies["expected"], strict=True
    ):
        fit.add_row(
            Text(label),
            Text(f"{int(actual):,}"),
            Text(f"{expected:,.1f}"),
            Text(f"{actual - expected:+,.1f}"),
        )
    return Group(params, counts, Text(""), fit)


BAR_WIDTH = 12
_EIGHTHS = " ▏▎▍▌▋▊▉"


def _bar(value: float, peak: float) -> str:
    eighths = round(value / peak * BAR_WIDTH * 8) if peak > 0 else 0
    return "█" * (eighths // 8) + (_EIGHTHS[eighths % 8] if eighths % 8 else "")


def holdout_table(holdout: Mapping[str, object], until: str) -> Group:
    """Predicted vs actual repeat orders after the holdout date, per calibration frequency,
    with a bar for each (one scale for both, so that their lengths compare)."""
    rows = holdout["calibration"]
    assert isinstance(rows, list)
    peak = max([max(r["predicted"], r["actual"]) for r in rows] + [0.0])
    table = Table(
        title=f"Holdout: {str(holdout['from'])[:10]} to {until[:10]} ({holdout['days']} days), "
        "mean repeat orders per customer",
        box=box.SIMPLE_HEAD,
        title_justify="left",
    )
    table.add_column("Repeat orders before")
    table.add_column("Customers", justify="right")
    table.add_column("Predicted", justify="right")
    table.add_column("")
    table.add_column("Actual", justify="right")
    table.add_column("")
    for r in rows:
        table.add_row(
            Text(str(r["repeatOrders"])),
            Text(f"{r['customers']:,}"),
            Text(f"{r['predicted']:.2f}"),
            Text(_bar(r["predicted"], peak), style="cyan"),
            Text(f"{r['actual']:.2f}"),
            Text(_bar(r["actual"], peak), style="green"),
        )
    total = Text(
        f"total predicted {holdout['predicted']:,.1f}, actual {holdout['actual']:,}; "
        f"mean absolute error {holdout['meanAbsoluteError']:.3f} orders per customer",
        style="dim",
    )
    return Group(table, total)
