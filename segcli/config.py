"""Where settings come from: flag > config file > default.

The config file is TOML: `--config PATH`, else `./segcli.toml`, else
`$XDG_CONFIG_HOME/segcli/config.toml` (`~/.config/segcli/config.toml`). Its keys are the flags'
names without the dashes in front; an `[[rfm-segments]]` array replaces the RFM segment table
(scores 1-5), and an `[[rfm-segments-10]]` array gives the table for `rfm-scale = 10` (else the
1-5 table is widened);
`cache-max-bytes` and `cache-max-entries` bound the cache (they have no flags).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from segcli.model.cache_limits import CACHE_LIMIT_KEYS, MAX_BYTES_KEY, CacheLimits, parse_size
from segcli.model.engine import ENGINES
from segcli.model.errors import ConfigError, SettingsError
from segcli.model.settings import (
    RFM_SCALE_KEY,
    RFM_SCALES,
    RFM_SEGMENTS_10_KEY,
    RFM_SEGMENTS_KEY,
    THRESHOLD_KEYS,
    BandOrderError,
    RfmRule,
    Settings,
)

LOCAL_CONFIG = "segcli.toml"
USER_CONFIG = Path("segcli") / "config.toml"
XDG_CONFIG_HOME = "XDG_CONFIG_HOME"
MONEY_KEY = "vip-threshold"
ENGINE_KEY = "engine"  # which engine computes the per-customer aggregate (model/engine.py)
RFM_MEASURES = ("recency", "frequency", "monetary")
RFM_KEYS = (RFM_SCALE_KEY, RFM_SEGMENTS_KEY, RFM_SEGMENTS_10_KEY)

FROM_FLAG = "flag"
FROM_DEFAULT = "default"


@dataclass(frozen=True)
class Resolved:
    """The effective settings and cache limits, the config file read (if any), and where each
    key came from."""

    settings: Settings
    path: Path | None
    origins: Mapping[str, str]  # public key -> "flag", "default" or the file's path
    cache_limits: CacheLimits = field(default_factory=CacheLimits)
    engine: str | None = None  # the file's `engine` (pandas or dask); None: not set there


def find_config(explicit: Path | None, env: Mapping[str, str] | None = None) -> Path | None:
    """The config file in effect: --config, else ./segcli.toml, else the user's config file."""
    if explicit is not None:
        return explicit
    local = Path(LOCAL_CONFIG)
    if local.is_file():
        return local
    env = os.environ if env is None else env
    base = Path(env.get(XDG_CONFIG_HOME) or Path.home() / ".config")
    user = base / USER_CONFIG
    return user if user.is_file() else None


def read_config(path: Path) -> dict[str, object]:
    """The file's settings as Settings and CacheLimits keyword arguments (only the keys it
    sets)."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(path, None, "no such config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, None, f"cannot read it ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, None, f"not valid TOML ({exc})") from None

    values: dict[str, object] = {}
    for key, value in document.items():
        if key in THRESHOLD_KEYS:
            values[THRESHOLD_KEYS[key]] = _threshold(path, key, value)
        elif key in (RFM_SEGMENTS_KEY, RFM_SEGMENTS_10_KEY):
            values[key.replace("-", "_")] = _rfm_segments(path, value, key)
        elif key == RFM_SCALE_KEY:
            if type(value) is not int or value not in RFM_SCALES:  # not 10.0, not true
                scales = " or ".join(map(str, RFM_SCALES))
                raise ConfigError(path, key, f"must be {scales} (got {value!r})")
            values["rfm_scale"] = value
        elif key in CACHE_LIMIT_KEYS:
            values[CACHE_LIMIT_KEYS[key]] = _cache_limit(path, key, value)
        elif key == ENGINE_KEY:
            if value not in ENGINES:
                raise ConfigError(path, key, f"choose one of {', '.join(ENGINES)}")
            values[ENGINE_KEY] = value
        else:
            known = ", ".join([*THRESHOLD_KEYS, *RFM_KEYS, *CACHE_LIMIT_KEYS, ENGINE_KEY])
            raise ConfigError(path, key, f"unknown setting; the settings are {known}")
    return values


def resolve(
    flags: Mapping[str, int | None],
    explicit: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Resolved:
    """Settings from `flags` (public key -> value or None when not given), the config file, and
    the defaults. Raises ConfigError for a bad file and SettingsError for a bad combination."""
    path = find_config(explicit, env)
    from_file = read_config(path) if path is not None else {}
    values = dict(from_file)
    limits = {name: values.pop(name) for name in CACHE_LIMIT_KEYS.values() if name in values}
    engine = values.pop(ENGINE_KEY, None)
    origins = {}
    for key, name in THRESHOLD_KEYS.items():
        if flags.get(key) is not None:
            values[name] = flags[key]
            origins[key] = FROM_FLAG
        else:
            origins[key] = str(path) if name in from_file else FROM_DEFAULT
    if flags.get(RFM_SCALE_KEY) is not None:
        values["rfm_scale"] = flags[RFM_SCALE_KEY]
        origins[RFM_SCALE_KEY] = FROM_FLAG
    else:
        origins[RFM_SCALE_KEY] = str(path) if "rfm_scale" in from_file else FROM_DEFAULT
    for key in (RFM_SEGMENTS_KEY, RFM_SEGMENTS_10_KEY):
        origins[key] = str(path) if key.replace("-", "_") in from_file else FROM_DEFAULT
    for key, name in CACHE_LIMIT_KEYS.items():
        origins[key] = str(path) if name in limits else FROM_DEFAULT
    try:
        settings = Settings(**values)  # type: ignore[arg-type]
    except SettingsError as error:
        exc = _blamed(error, origins)
        if path is not None and origins.get(exc.key) == str(path):
            raise ConfigError(path, exc.key, exc.message) from None
        if path is not None and exc.key.startswith(RFM_SEGMENTS_KEY):
            raise ConfigError(path, exc.key, exc.message) from None
        raise exc from None
    try:
        cache_limits = CacheLimits(**limits)
    except SettingsError as exc:  # every limit that is not a default comes from the file
        raise ConfigError(path, exc.key, exc.message) from None
    return Resolved(
        settings=settings, path=path, origins=origins, cache_limits=cache_limits, engine=engine
    )


def _blamed(error: SettingsError, origins: Mapping[str, str]) -> SettingsError:
    """Bands out of order are the fault of the one the user set, not of a default beside it:
    `--weekly-days 40` is too big, rather than the default monthly-days too small."""
    if isinstance(error, BandOrderError) and origins.get(error.upper) == FROM_DEFAULT:
        if origins.get(error.lower) != FROM_DEFAULT:
            return error.about(error.lower)
    return error


def _threshold(path: Path, key: str, value: object) -> int:
    if key == MONEY_KEY:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ConfigError(path, key, f"must be an amount such as 5000 (got {value!r})")
        text = repr(value) if isinstance(value, float) else str(value)
        from segcli.core.amounts import parse_money  # pyarrow: only when a file sets it

        try:
            cents = parse_money(text)
        except ValueError:
            cents = -1
        if cents < 0:
            raise ConfigError(
                path, key, f"must be a non-negative amount such as 5000 or 1245.50 (got {text})"
            )
        return cents
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(path, key, f"must be a whole number of days (got {value!r})")
    return value


def _cache_limit(path: Path, key: str, value: object) -> int:
    """A whole number (of bytes or entries); for bytes, also a size such as "2GiB"."""
    if isinstance(value, str) and key == MAX_BYTES_KEY:
        try:
            return parse_size(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, int):
        what = (
            'a whole number of bytes or a size such as "2GiB" or "500 MiB"'
            if key == MAX_BYTES_KEY
            else "a whole number of entries"
        )
        raise ConfigError(path, key, f"must be {what} (got {value!r})")
    return value


def _rfm_segments(path: Path, value: object, key: str) -> tuple[RfmRule, ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError(path, key, f"must be a non-empty array of tables ([[{key}]])")
    rules = []
    for i, item in enumerate(value):
        where = f"{key}[{i}]"
        if not isinstance(item, dict):
            raise ConfigError(
                path, where, "must be a table with name, recency, frequency, monetary"
            )
        unknown = set(item) - {"name", *RFM_MEASURES}
        if unknown:
            raise ConfigError(path, f"{where}.{sorted(unknown)[0]}", "unknown key")
        missing = [k for k in ("name", *RFM_MEASURES) if k not in item]
        if missing:
            raise ConfigError(path, f"{where}.{missing[0]}", "missing")
        bounds = {}
        for measure in RFM_MEASURES:
            pair = item[measure]
            if not isinstance(pair, list) or len(pair) != 2:
                raise ConfigError(
                    path, f"{where}.{measure}", f"must be [lowest, highest] (got {pair!r})"
                )
            bounds[measure] = (pair[0], pair[1])
        rules.append(RfmRule(name=item["name"], **bounds))
    return tuple(rules)
