"""segcli's work done by DuckDB SQL, the reference the benchmark measures segcli against.

    python benchmarks/duck.py ndjson|json|breakdown|show|vip FILE AS_OF [CONTACT_ID]

It implements the same rules (SPEC §3): exact decimal sums, floored day counts, the latest order
by instant and then by row, each detail from the latest order that has one, the same segment and
frequency rules, and the API's JSON shape. Results go to standard output, as segcli's do.
"""

from __future__ import annotations

import sys

import duckdb

DAY_MS = 86_400_000


def orders_sql(path: str) -> str:
    if path.endswith(".parquet"):
        return f"SELECT *, file_row_number AS rn FROM read_parquet('{path}', file_row_number=true)"
    columns = (
        "{'orderReference': 'VARCHAR', 'contactID': 'VARCHAR', 'orderDate': 'TIMESTAMPTZ', "
        "'total': 'DECIMAL(18,2)', 'name': 'VARCHAR', 'email': 'VARCHAR', 'company': 'VARCHAR'}"
    )
    return (
        f"SELECT *, row_number() OVER () AS rn "
        f"FROM read_csv('{path}', header=true, columns={columns})"
    )


def customers_sql(path: str, as_of_ms: int) -> str:
    def latest(column: str) -> str:
        return (
            f"arg_max({column}, (ms, rn)) FILTER (WHERE {column} IS NOT NULL "
            f"AND trim({column}) <> '') AS {column}"
        )

    return f"""
    WITH o AS (
        SELECT *, epoch_ms(orderDate) AS ms, CAST(total AS DECIMAL(18, 2)) AS amount
        FROM ({orders_sql(path)})
        WHERE epoch_ms(orderDate) <= {as_of_ms}
    ),
    c AS (
        SELECT contactID,
               count(*) AS orderCount,
               sum(amount) AS spend,
               min(ms) AS first_ms,
               max(ms) AS last_ms,
               arg_max(orderReference, (ms, rn)) AS lastOrderReference,
               {latest("name")}, {latest("email")}, {latest("company")}
        FROM o GROUP BY contactID
    ),
    m AS (
        SELECT *,
               ({as_of_ms} - last_ms) // {DAY_MS} AS days,
               ({as_of_ms} - first_ms) // {DAY_MS} AS first_days,
               (last_ms - first_ms) // {DAY_MS} AS lifespan
        FROM c
    )
    SELECT contactID, name, email, company,
        CASE WHEN spend > 5000 THEN 'VIP'
             WHEN days > 90 THEN 'Dormant'
             WHEN first_days <= 30 THEN 'New'
             ELSE 'Active' END AS segment,
        CASE WHEN orderCount = 1 THEN 'One-time'
             WHEN lifespan <= 7 * (orderCount - 1) THEN 'Weekly'
             WHEN lifespan <= 30 * (orderCount - 1) THEN 'Monthly'
             WHEN lifespan <= 90 * (orderCount - 1) THEN 'Quarterly'
             ELSE 'Occasional' END AS purchaseFrequency,
        orderCount, spend, last_ms, days, lastOrderReference
    FROM m
    """


def api_sql(path: str, as_of_ms: int, where: str = "") -> str:
    return f"""
    SELECT contactID, name, email, company,
        {{'orderCount': orderCount,
          'totalSpend': CAST(spend AS VARCHAR),
          'lastOrderDate': strftime(make_timestamp(last_ms * 1000), '%Y-%m-%dT%H:%M:%S.%gZ'),
          'lastOrderReference': lastOrderReference,
          'segment': segment,
          'lastOrderDaysAgo': days,
          'purchaseFrequency': purchaseFrequency}} AS metrics
    FROM ({customers_sql(path, as_of_ms)}) {where}
    ORDER BY spend DESC, contactID
    """


def main(argv: list[str]) -> int:
    task, path, as_of = argv[0], argv[1], argv[2]
    con = duckdb.connect()
    as_of_ms = con.execute(
        f"SELECT epoch_ms(CAST('{as_of} 23:59:59.999+00' AS TIMESTAMPTZ))"
    ).fetchone()[0]
    if task == "ndjson":
        con.execute(f"COPY ({api_sql(path, as_of_ms)}) TO '/dev/stdout' (FORMAT JSON)")
    elif task == "json":
        con.execute(f"COPY ({api_sql(path, as_of_ms)}) TO '/dev/stdout' (FORMAT JSON, ARRAY true)")
    elif task == "vip":
        query = api_sql(path, as_of_ms, "WHERE segment = 'VIP'")
        con.execute(f"COPY ({query}) TO '/dev/stdout' (FORMAT JSON, ARRAY true)")
    elif task == "breakdown":
        rows = con.execute(
            f"SELECT segment, count(*), sum(spend) FROM ({customers_sql(path, as_of_ms)}) "
            "GROUP BY segment ORDER BY segment"
        ).fetchall()
        print({segment: (count, str(spend)) for segment, count, spend in rows})
    elif task == "show":
        query = api_sql(path, as_of_ms, f"WHERE contactID = '{argv[3]}'")
        con.execute(f"COPY ({query}) TO '/dev/stdout' (FORMAT JSON)")
    else:
        raise SystemExit(f"unknown task {task}")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
