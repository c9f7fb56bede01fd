"""Load: where orders come from (sources), reading them (readers), which column is which
(headers, presets, plan), shaping exports into orders (shape), contacts files and orders repeated
across files (overlaps)."""
