"""`list --engine dask` as NDJSON, CSV or TSV, written as the sorted ranges come from the cluster
(api.stream) rather than after every customer is gathered here: the same bytes, notices and
exit code as the path that gathers (commands.py's), which answers what cannot stream."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from segcli import api
from segcli.cli.boundary import tell
from segcli.cli.options import Options
from segcli.cli.printing import Format, dialect_for
from segcli.output.console import Output


def streamed(
    out: Output,
    options: Options,
    fmt: Format,
    details: tuple[str, ...],
    fields: tuple[str, ...],
    asked: Mapping[str, Any],
) -> bool:
    """Write the list as it comes, when it can stream; False (nothing done) when it cannot.
    `asked`: api.customers' filters, rfm and page."""
    if not options.inputs.engine.is_dask:
        return False
    listing = api.stream(
        options.inputs, options.as_of, options.settings, fmt=fmt.value, details=details,
        dialect=dialect_for(fmt, options.dialect), fields=fields, **asked,
    )  # fmt: skip
    if listing is None:
        return False
    with listing as stream:
        tell(out, stream.notices)
        with options.timings.stage("render"):
            for part in stream.parts:
                out.write([part])
    return True
