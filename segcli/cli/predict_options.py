"""The options of per-customer predictions (`list --predict`), as Typer declares them."""

from __future__ import annotations

from typing import Annotated

import typer

from segcli import api
from segcli.cli.parsers import parse_money
from segcli.output.fields import prediction_fields

_PANEL = "Predictions (needs the predict extra)"

PredictOpt = Annotated[
    bool,
    typer.Option(
        "--predict",
        metavar="",
        help="Add predictions: P(alive), churn probability, expected orders and CLV (BG/NBD + "
        "Gamma-Gamma fitted to these orders), per customer in list, per category in breakdown.",
        rich_help_panel=_PANEL,
    ),
]
HorizonOpt = Annotated[
    int,
    typer.Option(
        min=1, metavar="DAYS", help="How far ahead predictions look.", rich_help_panel=_PANEL
    ),
]
DiscountRateOpt = Annotated[
    float,
    typer.Option(
        min=0.0,
        max=9.99,
        metavar="RATE",
        help="Annual discount rate for CLV (0.1 is 10%): each 30-day step's expected orders "
        "are valued at its end, divided by (1 + RATE)^(days / 365).",
        rich_help_panel=_PANEL,
    ),
]
MinChurnOpt = Annotated[
    float | None,
    typer.Option(
        min=0.0,
        max=1.0,
        metavar="P",
        help="churnProbability at least (implies --predict).",
        rich_help_panel=_PANEL,
    ),
]
MaxChurnOpt = Annotated[
    float | None,
    typer.Option(
        min=0.0,
        max=1.0,
        metavar="P",
        help="churnProbability at most (implies --predict).",
        rich_help_panel=_PANEL,
    ),
]
MinClvOpt = Annotated[
    int | None,
    typer.Option(
        parser=parse_money,
        metavar="AMOUNT",
        help="clv at least (implies --predict).",
        rich_help_panel=_PANEL,
    ),
]


def forecast(
    wanted: bool, fields: tuple[str, ...], horizon: int, discount_rate: float, verbose: bool
) -> api.Forecast | None:
    """The predictions to add: when asked for, or implied by a filter, the sort or a column.
    Then PyTensor and PyMC are told to keep quiet (unless `verbose`) before they are imported."""
    if wanted or set(fields) & set(prediction_fields()):
        from segcli.cli.predicting import quiet_models

        quiet_models(verbose)
        return api.Forecast(horizon, discount_rate)
    return None
