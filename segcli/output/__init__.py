"""Render: the customer API's values (values), JSON and JSON lines (json), CSV (csv), Rich tables
(tables), and where output goes (console). Renderers are pure functions."""
