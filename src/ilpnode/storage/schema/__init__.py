"""Table definitions (SQLAlchemy Core), one module per family of tables, all on one `MetaData`
(`base`). Alembic migrations in `migrations/` create them.

- `ledger`: `ledger_accounts`, `ledger_transfers`, `ledger_expiries` (both ledger backends).
- `peering`: `assets`, `peers`, `peer_incoming_tokens`, `fees`.
- `admin`: `idempotency_keys`, `admin_signature_replays`, `operator_tenant`.
- `payments`: `wallet_addresses`, `node_secrets`, `received_payments`, `outgoing_payments`.
- `webhooks`: `liquidity_alerts`, `webhook_events`.

`metadata` here is the whole schema (every family imported): what Alembic compares with and
`peering_repository` maps constraint names through. Import the tables from their family's
module.

`(created_at, id)` indexes serve keyset paging (`(wallet_address_id, first_packet_at, id)` for
the payments received). Constraint names are part of the contract:
`peering_repository` tells which constraint a violation hit by its name.
"""

from __future__ import annotations

# Every family, so that `metadata` holds every table.
from ilpnode.storage.schema import admin, ledger, payments, peering, webhooks  # noqa: F401
from ilpnode.storage.schema.base import metadata

__all__ = ["metadata"]
