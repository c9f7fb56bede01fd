"""The customer API over HTTP: each endpoint parses its query, asks `segcli.api` at the
request's as-of (default: the moment of the request), and sends the very bytes the CLI prints
for the same question. The app only reads; errors use the CLI's JSON envelope."""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations, and some
# name values local to create_app (the RFM labels of the settings served).
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import anyio.to_thread
from fastapi import FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from segcli import __version__, api
from segcli.model.schema import DEFAULT_SORT, FREQUENCIES, SEGMENTS, SORT_FIELDS, format_instant
from segcli.model.settings import RFM_SCALES
from segcli.serve import models, params
from segcli.serve.errors import JSON, BadParameter, envelope, from_error
from segcli.serve.snapshots import Snapshot, Snapshots, now_ms

MAX_LIMIT = 10_000
DEFAULT_LIMIT = 100
# Predictions: the CLI's defaults and bounds, and a horizon bounded as `limit` is (the work grows
# with it: one step of the model per 30 days).
DEFAULT_HORIZON_DAYS = api.Forecast().horizon_days
MAX_HORIZON_DAYS = 3_650
MAX_DISCOUNT_RATE = 9.99
NDJSON = "application/x-ndjson"
CSV = "text/csv; charset=utf-8"
# Every refusal is the CLI's error envelope: 400 INVALID_INPUT for a bad parameter (never
# FastAPI's 422, which is therefore not documented), 401 without the token, 404 NOT_FOUND, 405,
# 413 and 414 for what a read-only API does not take.
ERRORS: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": models.ErrorDocument, "description": "the CLI's error envelope"},
}
# predict=true on a server without the predict extra: 501 MISSING_DEPENDENCY, naming the install
# command (errors.STATUS says why 501).
NOT_INSTALLED: dict[int | str, dict[str, Any]] = {
    501: {"model": models.ErrorDocument, "description": "predict without the predict extra"},
}


@dataclass(frozen=True)
class Served:
    """What the app answers from, and with: the snapshots, the settings, the default as-of
    (None: the moment of each request) and the source names it may show."""

    snapshots: Snapshots
    settings: api.Settings
    as_of_ms: int | None
    sources: tuple[str, ...]

    def current(self) -> Snapshot:
        snapshot = self.snapshots.current
        assert snapshot is not None
        return snapshot

    def as_of(self, value: str | None) -> int | None:
        given = params.instant("asOf", value)
        return given if given is not None else self.as_of_ms

    def show(self, contact_id: str, as_of_text: str | None) -> bytes:
        """The `show` document's bytes (SegcliError for a refusal): the endpoint's, and the
        shortcut's in front of the app (shortcut.py)."""
        return api.customer_json(
            self.current().loaded, contact_id, self.settings, self.as_of(as_of_text)
        )


AsOf = Annotated[
    str | None,
    Query(
        alias="asOf",
        description="Measure ages from this ISO date (its end, UTC) or datetime. Default: now.",
    ),
]

RfmScale = Annotated[
    int | None,
    Query(
        alias="rfmScale",
        json_schema_extra={"enum": list(RFM_SCALES)},
        description="RFM scores run 1 to this (--rfm-scale). Default: the served settings'.",
    ),
]

COMPUTE_THREADS = 2  # requests computed at once: one per core; the others wait their turn


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Endpoints are plain functions, run in a thread pool (40 threads by default). The work is
    # pandas and Arrow under the GIL: 40 threads contending for 2 cores served `show` at 56/s
    # with a p99 of 4 s at 64 clients; COMPUTE_THREADS take turns instead.
    anyio.to_thread.current_default_thread_limiter().total_tokens = COMPUTE_THREADS
    yield


def create_app(served: Served) -> FastAPI:
    app = FastAPI(
        lifespan=_lifespan,
        title="segcli customer API",
        version=__version__,
        description="Per-customer metrics and segments from an order export, in the JSON the "
        "segcli command line prints.",
    )
    settings, current, as_of = served.settings, served.current, served.as_of

    @app.exception_handler(api.SegcliError)
    async def library_error(request: Request, err: api.SegcliError) -> Response:
        return from_error(err)

    @app.exception_handler(RequestValidationError)
    async def bad_parameter(request: Request, err: RequestValidationError) -> Response:
        first = err.errors()[0] if err.errors() else {}
        where = [str(part) for part in first.get("loc", ()) if part not in ("query", "path")]
        name = where[0] if where else "request"
        return envelope(400, "INVALID_INPUT", f"{name}: {first.get('msg', 'invalid')}")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, err: HTTPException) -> Response:
        codes = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}
        code = codes.get(err.status_code, "INVALID_INPUT")
        message = "no such endpoint" if err.status_code == 404 else str(err.detail)
        response = envelope(err.status_code, code, message)
        if err.headers:
            response.headers.update(err.headers)
        return response

    @app.exception_handler(Exception)
    async def unexpected(request: Request, err: Exception) -> Response:
        return envelope(500, "INTERNAL", f"unexpected {type(err).__name__}")

    @app.get(
        "/api/customers",
        response_model=models.CustomerList,
        responses={
            **ERRORS,
            **NOT_INSTALLED,
            200: {"content": {NDJSON: {}, "text/csv": {}}, "description": "a page of customers"},
        },
    )
    def list_customers(
        request: Request,
        segment: Annotated[list[str], _labels(SEGMENTS)],
        frequency: Annotated[list[str], _labels(FREQUENCIES)],
        rfm_segment: Annotated[list[str], _labels(settings.rfm_labels(), alias="rfmSegment")],
        min_days: Annotated[int | None, Query(alias="minDays", ge=0)] = None,
        max_days: Annotated[int | None, Query(alias="maxDays", ge=0)] = None,
        min_spend: Annotated[str | None, Query(alias="minSpend")] = None,
        max_spend: Annotated[str | None, Query(alias="maxSpend")] = None,
        sort: Annotated[str, Query(json_schema_extra={"enum": list(SORT_FIELDS)})] = DEFAULT_SORT,
        order: Literal["asc", "desc"] = "desc",
        limit: Annotated[int, Query(ge=0, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        offset: Annotated[int, Query(ge=0)] = 0,
        rfm: bool = False,
        rfm_scale: RfmScale = None,
        predict: Annotated[
            bool,
            Query(
                description="Add each customer's predictions (BG/NBD and Gamma-Gamma fitted to "
                "the orders served, at the as-of): `list --predict`. Needs the predict extra."
            ),
        ] = False,
        horizon: Annotated[
            int,
            Query(ge=1, le=MAX_HORIZON_DAYS, description="Days ahead predictions look."),
        ] = DEFAULT_HORIZON_DAYS,
        discount_rate: Annotated[
            float,
            Query(
                alias="discountRate",
                ge=0,
                le=MAX_DISCOUNT_RATE,
                allow_inf_nan=False,
                description="Annual discount rate for clv (0.1 is 10%).",
            ),
        ] = 0.0,
        as_of_text: AsOf = None,
        output: Annotated[
            Literal["json", "ndjson", "csv"] | None,
            Query(alias="format", description="Else the Accept header's; default json."),
        ] = None,
    ) -> Response:
        """Customers, filtered, sorted and paginated: `segcli list`; with predict=true,
        `segcli list --predict` (fitting the models takes seconds; the fits of the last few
        explicit asOf instants are kept until the data is reloaded)."""
        scaled = params.rfm_scale("rfmScale", settings, rfm_scale)
        filters = api.Filters(
            segments=params.segments("segment", segment),
            frequencies=params.frequencies("frequency", frequency),
            min_days=min_days,
            max_days=max_days,
            min_spend_cents=params.money("minSpend", min_spend),
            max_spend_cents=params.money("maxSpend", max_spend),
            rfm_segments=params.labels(
                "rfmSegment", rfm_segment, scaled.rfm_labels(), "an RFM segment"
            ),
        )
        result = api.customers(
            current().loaded,
            scaled,
            as_of(as_of_text),
            filters=filters,
            sort=params.sort_field(sort),
            descending=order == "desc",
            limit=limit,
            offset=offset,
            rfm=rfm,
            forecast=api.Forecast(horizon, discount_rate) if predict else None,
        )
        match output or _accepted(request.headers.get("accept", "")):
            case "ndjson":
                return Response(_joined(result.ndjson_parts()), media_type=NDJSON)
            case "csv":
                return Response(result.csv_text().encode(), media_type=CSV)
            case _:
                return Response(_joined(result.json_parts()), media_type=JSON)

    @app.get(
        "/api/customers/{contactID}",
        response_model=models.CustomerDocument,
        responses=ERRORS,
    )
    async def show(
        contact_id: Annotated[str, Path(alias="contactID")], as_of_text: AsOf = None
    ) -> Response:
        """One customer, with phone and account fields: `segcli show`."""
        # On the event loop, not a worker thread: from the snapshot's index it takes a fraction
        # of a millisecond, less than the hop to a thread and back (an as-of before the newest
        # order, the rare slow path, holds the loop for milliseconds as a thread holds the GIL).
        # Most requests never get here: the shortcut in front of the app answers them.
        return Response(served.show(contact_id, as_of_text), media_type=JSON)

    @app.get(
        "/api/breakdown",
        response_model=models.BreakdownDocument,
        responses=ERRORS,
    )
    def breakdown(
        by: Annotated[list[str], _labels(api.BREAKDOWN_BY)],
        cross: bool = False,
        as_of_text: AsOf = None,
    ) -> Response:
        """Count, share, total and average spend per segment and frequency: `segcli breakdown`."""
        wanted = params.labels("by", by, api.BREAKDOWN_BY, "a breakdown") or api.BREAKDOWN_BY
        result = api.breakdown(
            current().loaded, settings, as_of(as_of_text), by=wanted, cross=cross
        )
        return Response(result.json_text().encode(), media_type=JSON)

    @app.get("/api/rfm", response_model=models.RfmDocument, responses=ERRORS)
    def rfm(rfm_scale: RfmScale = None, as_of_text: AsOf = None) -> Response:
        """Customers per RFM segment: `segcli rfm`."""
        scaled = params.rfm_scale("rfmScale", settings, rfm_scale)
        result = api.rfm(current().loaded, scaled, as_of(as_of_text))
        return Response(result.json_text().encode(), media_type=JSON)

    @app.get(
        "/api/transitions",
        response_model=models.TransitionsDocument | models.CustomerList,
        responses=ERRORS,
    )
    def transitions(
        since: Annotated[str, Query(alias="from", description="The earlier instant.")],
        until: Annotated[str | None, Query(alias="to", description="Default: asOf.")] = None,
        moved: Annotated[
            str | None,
            Query(
                alias="list",
                description="FROM:TO (e.g. Active:Dormant, or (none):New): the customers who "
                "moved so, as they are at `to`, a page as /api/customers gives one.",
            ),
        ] = None,
        sort: Annotated[str, Query(json_schema_extra={"enum": list(SORT_FIELDS)})] = DEFAULT_SORT,
        order: Literal["asc", "desc"] = "desc",
        limit: Annotated[int, Query(ge=0, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> Response:
        """How customers moved between segments: `segcli transitions`; with list=FROM:TO, the
        customers behind one cell: `segcli transitions --list FROM:TO`."""
        since_ms = params.instant("from", since)
        until_ms = params.instant("to", until)
        result = api.transitions(
            current().loaded,
            since_ms,
            until_ms if until_ms is not None else as_of(None),
            settings,
            movement=params.movement(moved),
            sort=params.sort_field(sort),
            descending=order == "desc",
            limit=limit,
            offset=offset,
        )
        if isinstance(result, api.CustomerList):
            return Response(_joined(result.json_parts()), media_type=JSON)
        return Response(result.json_text().encode(), media_type=JSON)

    @app.get("/api/health", response_model=models.HealthDocument, responses=ERRORS)
    def health() -> Response:
        """Whether the server is serving, from what, and the last reload's error if any."""
        snapshot, failure = current(), served.snapshots.failure
        loaded = snapshot.loaded
        data = {
            "status": "degraded" if failure else "ok",
            "sources": list(served.sources),
            "orders": loaded.order_count,
            "customers": loaded.customer_count,
            "newestOrder": format_instant(loaded.newest_ms)
            if loaded.newest_ms is not None
            else None,
            "loadedAt": format_instant(snapshot.loaded_at_ms),
            "lastReloadError": failure.to_dict() if failure else None,
        }
        document = models.HealthDocument(success=True, data=models.Health(**data))
        return Response(document.model_dump_json().encode(), media_type=JSON)

    return app


def _labels(labels: Sequence[str], alias: str | None = None) -> Any:
    """A repeatable parameter whose values are labels: documented as an enum, accepted in any
    case (as the CLI accepts them), refused with the CLI's words."""
    return Query(
        default_factory=list,
        alias=alias,
        description="Repeat for several; any case.",
        json_schema_extra={"items": {"type": "string", "enum": list(labels)}},
    )


def _accepted(accept: str) -> str:
    if NDJSON in accept or "application/jsonl" in accept:
        return "ndjson"
    if "text/csv" in accept:
        return "csv"
    return "json"


def _joined(parts: list[Any]) -> bytes:
    return b"".join(p if isinstance(p, bytes) else p.to_pybytes() for p in parts)


__all__ = ["BadParameter", "Served", "create_app", "now_ms"]
