"""The fast path, in one private place: Arrow buffer helpers (arrow), customer-key encoding on
threads (keys), and the memory-pool choice for command-line runs (memory)."""
