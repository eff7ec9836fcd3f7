"""The DuckDB warehouse: schema migrations, idempotent stores, exports and data-quality suites."""
