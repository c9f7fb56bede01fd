"""The pipeline's core: parse (instants, amounts) and check the columns (normalise), aggregate
per customer (metrics), classify (segments), and select (filter, sort, paginate)."""
