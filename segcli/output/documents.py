"""The customer API's small JSON documents and their values (SPEC §5) in plain Python: meta,
settings, a breakdown's categories, money as text. No numpy, Arrow or pandas: a warm breakdown
imports none of what it does not use."""

from __future__ import annotations

import json
from collections.abc import Mapping

from segcli.model.schema import format_instant
from segcli.model.settings import DEFAULT_RFM_SCALE, Settings


def cents_text(cents: int) -> str:
    """cents_texts for one value, without Arrow's per-call overhead (a server's `show`)."""
    return f"{'-' if cents < 0 else ''}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def dumps(document: object, pretty: bool) -> str:
    if pretty:
        return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False, allow_nan=False) + "\n"


def settings_meta(settings: Settings) -> dict[str, object]:
    """The effective thresholds for JSON `meta.settings`: camelCase keys, money as text; and
    `rfmScale` when it is 10."""
    meta: dict[str, object] = {}
    for key, value in settings.thresholds().items():
        head, *rest = key.split("-")
        name = head + "".join(word.capitalize() for word in rest)
        meta[name] = cents_text(int(value)) if key == "vip-threshold" else value
    if settings.rfm_scale != DEFAULT_RFM_SCALE:  # said only when not 5: 5's output is as before
        meta["rfmScale"] = settings.rfm_scale
    return meta


def meta_of(
    meta: dict[str, object],
    as_of_ms: int | None,
    settings: Settings | None,
    extra: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """`meta` plus the as-of instant, `extra` (the orders' extent and currency) and the
    effective settings, when known."""
    if as_of_ms is not None:
        meta["asOf"] = format_instant(as_of_ms)
    meta.update(extra or {})
    if settings is not None:
        meta["settings"] = settings_meta(settings)
    return meta


def category_values(
    count: int, share: float, spend_cents: int, avg_cents: int | None
) -> dict[str, object]:
    """One category of a breakdown, as `data.segment.VIP` words it."""
    return {
        "count": count,
        "share": share,
        "totalSpend": cents_text(spend_cents),
        "avgSpend": None if avg_cents is None else cents_text(avg_cents),
    }
