"""The settings options (thresholds, RFM scale, config file) that every command shares, and the
settings they resolve to (flag > config file > default); `config show` takes them alone."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from segcli import api
from segcli.cli.parsers import parse_threshold
from segcli.cli.signature import with_options
from segcli.model import settings as defaults
from segcli.model.errors import ConfigError, SettingsError

_SETTINGS = "Settings (flag > config file > default)"
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        metavar="PATH",
        help="TOML settings file. Default: ./segcli.toml, else "
        "$XDG_CONFIG_HOME/segcli/config.toml.",
        rich_help_panel=_SETTINGS,
    ),
]
VipOpt = Annotated[
    int | None,
    typer.Option(
        "--vip-threshold",
        parser=parse_threshold,
        metavar="AMOUNT",
        help="VIP: totalSpend above this (default 5000.00)",
        rich_help_panel=_SETTINGS,
    ),
]


def _days(flag: str, text: str, default: int) -> Any:
    return typer.Option(
        flag, min=0, metavar="DAYS", help=f"{text} (default {default})", rich_help_panel=_SETTINGS
    )


DormantOpt = Annotated[
    int | None,
    _days("--dormant-days", "Dormant: last order more days ago", defaults.DEFAULT_DORMANT_DAYS),
]
NewOpt = Annotated[
    int | None,
    _days("--new-days", "New: first order at most this many days ago", defaults.DEFAULT_NEW_DAYS),
]
WeeklyOpt = Annotated[
    int | None,
    _days("--weekly-days", "Weekly: average gap at most this", defaults.DEFAULT_WEEKLY_DAYS),
]
MonthlyOpt = Annotated[
    int | None,
    _days("--monthly-days", "Monthly: average gap at most this", defaults.DEFAULT_MONTHLY_DAYS),
]
QuarterlyOpt = Annotated[
    int | None,
    _days(
        "--quarterly-days", "Quarterly: average gap at most this", defaults.DEFAULT_QUARTERLY_DAYS
    ),
]


RfmScaleOpt = Annotated[
    int | None,
    typer.Option(
        "--rfm-scale",
        metavar="|".join(map(str, defaults.RFM_SCALES)),
        help=f"RFM scores run 1 to this (default {defaults.DEFAULT_RFM_SCALE}).",
        rich_help_panel=_SETTINGS,
    ),
]


def settings_from_flags(
    config_file: ConfigOpt = None,
    vip_threshold: VipOpt = None,
    dormant_days: DormantOpt = None,
    new_days: NewOpt = None,
    weekly_days: WeeklyOpt = None,
    monthly_days: MonthlyOpt = None,
    quarterly_days: QuarterlyOpt = None,
    rfm_scale: RfmScaleOpt = None,
) -> api.Resolved:
    """Settings from the flags, the config file and the defaults; a bad one is a usage error."""
    flags = {
        "vip-threshold": vip_threshold,
        "dormant-days": dormant_days,
        "new-days": new_days,
        "weekly-days": weekly_days,
        "monthly-days": monthly_days,
        "quarterly-days": quarterly_days,
        defaults.RFM_SCALE_KEY: rfm_scale,
    }
    try:
        return api.resolve_settings(flags, config_file)
    except ConfigError as exc:
        hint = f"'{exc.key}' in {exc.path}" if exc.key else f"'--config' ({exc.path})"
        raise typer.BadParameter(exc.message, param_hint=hint) from None
    except SettingsError as exc:
        raise typer.BadParameter(exc.message, param_hint=f"'--{exc.key}'") from None


settings_options = with_options(settings_from_flags, "resolved")
