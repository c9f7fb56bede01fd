"""The vocabulary every stage shares: column names and category orders (schema), settings,
reading options, errors and notices. Light on purpose: no pandas, pyarrow or Rich."""
