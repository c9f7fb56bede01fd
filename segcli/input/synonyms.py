"""Headers that exports commonly give each role (SPEC §1), as `headers.header_key` compares them:
case, spaces, `_` and `-` ignored. Data only. A role is mapped from a synonym only when exactly
one header of the file is one of its synonyms; the canonical name itself always comes first."""

from __future__ import annotations

from segcli.model.schema import (
    COMPANY,
    CONTACT_ID,
    CURRENCY,
    EMAIL,
    NAME,
    ORDER_DATE,
    ORDER_REFERENCE,
    PHONE,
    QUANTITY,
    STATUS,
    TOTAL,
    UNIT_PRICE,
)

SYNONYMS: dict[str, frozenset[str]] = {
    CONTACT_ID: frozenset(
        {"customerid", "customerno", "customernumber", "clientid", "contact", "buyerid"}
    ),
    ORDER_REFERENCE: frozenset(
        {
            "invoiceno",
            "invoice",
            "invoicenumber",
            "invoiceid",
            "orderid",
            "ordernumber",
            "orderno",
            "order",
            "orderref",
            "ordername",
            "transactionid",
        }
    ),
    ORDER_DATE: frozenset(
        {
            "invoicedate",
            "datecreated",
            "createdat",
            "created",
            "date",
            "orderdatetime",
            "ordertime",
            "purchasedate",
            "transactiondate",
        }
    ),
    TOTAL: frozenset(
        {"ordertotal", "revenue", "amount", "sales", "grandtotal", "totalamount", "totalprice"}
    ),
    QUANTITY: frozenset({"qty", "quantityordered", "units"}),
    UNIT_PRICE: frozenset({"price", "unitcost", "priceeach", "itemprice", "lineitemprice"}),
    STATUS: frozenset({"orderstatus", "financialstatus", "paymentstatus"}),
    CURRENCY: frozenset({"currencycode", "ordercurrency"}),
    EMAIL: frozenset({"billingemail", "customeremail", "emailaddress", "contactemail"}),
    NAME: frozenset({"customername", "billingname", "fullname", "contactname"}),
    COMPANY: frozenset({"companyname", "billingcompany", "organisation", "organization"}),
    PHONE: frozenset({"phonenumber", "telephone", "billingphone", "mobile"}),
}
