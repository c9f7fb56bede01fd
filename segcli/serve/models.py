"""The shapes of the documents the server sends, for /openapi.json and /docs. The server never
builds a response from these: every body is the JSON the CLI prints, rendered by the library.
They describe it (tests/test_serve.py checks real responses against them)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Settings(_Model):
    vipThreshold: str = Field(examples=["5000.00"])
    dormantDays: int
    newDays: int
    weeklyDays: int
    monthlyDays: int
    quarterlyDays: int
    rfmScale: int | None = Field(default=None, examples=[10], description="when not 5")


class Rfm(_Model):
    recency: int = Field(ge=1, le=10, description="1-5, or 1-10 with rfmScale=10")
    frequency: int = Field(ge=1, le=10)
    monetary: int = Field(ge=1, le=10)
    score: str = Field(examples=["555", "10-9-7"])
    segment: str = Field(examples=["Champions"])


class Prediction(_Model):
    """With predict=true: the customer's predictions over the next horizonDays, from BG/NBD
    (repeat orders) and Gamma-Gamma (spend per order) fitted to the orders served; every value
    null for a customer without orders by the as-of. A new prediction field is one more line
    here, in the order the CLI prints it."""

    pAlive: float | None = Field(ge=0, le=1, description="probability the customer is active")
    churnProbability: float | None = Field(ge=0, le=1, description="1 - pAlive")
    dormantProbability: float | None = Field(
        ge=0, le=1, description="probability of no order in the next dormant-days days"
    )
    expectedOrders: float | None = Field(ge=0, description="expected order days in the horizon")
    expectedOrderValue: str | None = Field(
        examples=["84.20"], description="expected spend per order"
    )
    clv: str | None = Field(
        examples=["1530.75"], description="expected spend in the horizon, at discountRate"
    )
    horizonDays: int | None = Field(examples=[365])


class Metrics(_Model):
    orderCount: int
    totalSpend: str = Field(examples=["1245.50"])
    lastOrderDate: str | None = Field(examples=["2025-10-22T00:35:15.893Z"])
    lastOrderReference: str | None
    segment: str = Field(examples=["VIP"])
    lastOrderDaysAgo: int | None
    purchaseFrequency: str = Field(examples=["Weekly"])
    rfm: Rfm | None = Field(default=None, description="with rfm=true or rfmSegment")
    prediction: Prediction | None = Field(default=None, description="with predict=true")


class Customer(_Model):
    contactID: str
    name: str | None
    email: str | None
    company: str | None
    metrics: Metrics


class CustomerDetail(Customer):
    phone: str | None
    accountName: str | None
    accountCode: str | None


class Extent(_Model):
    """What every document's meta says of the orders counted, where known."""

    ordersFrom: str | None = Field(default=None, description="the oldest order counted")
    ordersTo: str | None = Field(default=None, description="the newest order counted")
    currency: str | None = Field(default=None, examples=["NZD"], description="the orders' code")


class ListMeta(Extent):
    count: int = Field(description="customers on this page")
    total: int = Field(description="customers that match, before limit and offset")
    asOf: str
    settings: Settings


class CustomerList(_Model):
    success: bool
    data: list[Customer]
    meta: ListMeta


class ShowMeta(Extent):
    asOf: str
    settings: Settings


class CustomerDocument(_Model):
    success: bool
    data: CustomerDetail
    meta: ShowMeta


class Category(_Model):
    count: int
    share: float
    totalSpend: str
    avgSpend: str | None


class CountMeta(Extent):
    total: int = Field(description="customers")
    asOf: str | None = None
    settings: Settings


class BreakdownData(_Model):
    segment: dict[str, Category] | None = None
    purchaseFrequency: dict[str, Category] | None = None
    segmentByFrequency: dict[str, dict[str, int]] | None = Field(
        default=None, description="with cross=true: counts per segment, then per frequency"
    )


class BreakdownDocument(_Model):
    success: bool
    data: BreakdownData
    meta: CountMeta


class RfmData(_Model):
    rfmSegment: dict[str, Category]


class RfmDocument(_Model):
    success: bool
    data: RfmData
    meta: CountMeta


class TransitionsData(_Model):
    from_: str = Field(alias="from")
    to: str
    matrix: dict[str, dict[str, int]] = Field(description="counts: segment at from, then at to")


class TransitionsDocument(_Model):
    success: bool
    data: TransitionsData
    meta: CountMeta


class ReloadError(_Model):
    code: str
    message: str
    at: str


class Health(_Model):
    status: str = Field(description="ok, or degraded when the last reload failed")
    sources: list[str]
    orders: int
    customers: int
    newestOrder: str | None
    loadedAt: str
    lastReloadError: ReloadError | None


class HealthDocument(_Model):
    success: bool
    data: Health


class ErrorBody(_Model):
    code: str = Field(examples=["INVALID_INPUT"])
    message: str


class ErrorDocument(_Model):
    success: bool
    error: ErrorBody
