"""SQL storage adapters for the peering services and the Admin API's idempotency keys."""
