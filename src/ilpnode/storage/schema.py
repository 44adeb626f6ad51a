"""Table definitions (SQLAlchemy Core). Alembic migrations in `migrations/` create them.

Ledger tables are shared by both ledger backends:

- `ledger_accounts`: one row per account; its four balance columns are the balances as of the
  last commit (the embedded ledger writes them with each group commit, the shared PostgreSQL
  ledger under row locks). On PostgreSQL, CHECK constraints back the flag invariants.
- `ledger_transfers`: every transfer ever created, immutable. A post or void is its own row whose
  `pending_id` names the pending transfer; the partial unique index on `pending_id` makes a second
  resolution of the same pending transfer impossible even if the application were wrong.
- `ledger_expiries`: one row per pending transfer released by its timeout.

`seq` orders every row across the three tables the way the ledger applied them (journal order).

On PostgreSQL, migration 0002 adds `ledger_pending_deadlines`, a cache of unresolved pending
transfers' deadlines kept by triggers (not by application code), so it is not declared here.

Peering tables (migration 0003), read and written by `peering_repository` and
`idempotency_store`:

- `assets`: one row per asset, soft-deleted by `deleted_at`. `ledger` is the asset's ledger
  number, assigned max + 1 and never reused (deleted rows keep theirs); (code, scale) is unique
  over all rows, deleted ones included.
- `peers`: one row per peer; `routes` is a JSON array of ILP address prefixes (text, so both
  dialects store it alike); (asset_id, static_ilp_address) is unique; `auto_peered` (migration
  0004) says auto-peering created the peer.
- `peer_incoming_tokens`: sha256 hex digests of the peers' incoming tokens, globally unique
  (a token authenticates exactly one peer); deleted with their peer.
- `idempotency_keys`: the Admin API's idempotency records (`ilpnode.services.idempotency`).

Fees (migration 0007), read and written by `fee_repository`:

- `fees`: every fee ever set for an asset (`ilpnode.services.fees`), never updated or deleted;
  the newest of each type is the one in force. `type` is SENDING or RECEIVING, `basis_points`
  0..10000, both checked by the database too.
- `operator_tenant`: one row, the creation time of the node's one tenant (the Admin API's
  `whoami`/`tenant`); the tenant's id and name are settings.
Payments tables (migration 0008), read and written by `wallet_address_repository` and
`secret_store`:

- `wallet_addresses`: one row per wallet address hosted by the node; `url` (lowercase) is
  unique; `deactivated_at` is set while it is inactive (Rafiki's column); its asset is fixed.
- `node_secrets`: secrets the node generates once and shares between its processes (the STREAM
  server secret when STREAM_SECRET is unset), base64 text by name; a row is never changed.

`admin_signature_replays` (migration 0005), written by `replay_guard`: the digest of every signed
Admin API request accepted within its time to live (`ilpnode.services.replay_guard`), with its
expiry in Unix milliseconds; expired rows are pruned a few at a time.

Liquidity webhooks (migration 0009), written by `webhook_store`: `liquidity_alerts` holds, per
watched peer or asset account, the state last announced (`normal`, `low`, `high`) and the
thresholds it was judged by (`services.webhooks.alerts`); `webhook_events` is the outbox of
events with their delivery bookkeeping (`attempts`, the receiver's last `status_code`,
`process_at` = when the next attempt is due, NULL once delivered). `assets` and `peers` gain
`liquidity_high_threshold`.

Outgoing payments (migration 0011), read and written by `outgoing_payment_repository`:
`outgoing_payments` holds one row per payment the node sends (`ilpnode.services.outgoing_payments`):
its source (a wallet address, or NULL for the asset's liquidity; the asset's code, scale and
ledger copied, as an asset never changes them), the request (`requested_debit` xor
`requested_receive`, checked), the sending fee in force at creation, what the probe told
(receiver's asset, `send_target`, `max_debit`), the progress (`sent`, `delivered`, `packets`,
saved every second while it runs), `fee` once over, and the running process (`owner`,
`lease_until`: only the owner writes a running payment's row).

`(created_at, id)` indexes serve keyset paging. Constraint names are part of the contract:
`peering_repository` tells which constraint a violation hit by its name.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    false,
    text,
)

from ilpnode.storage.types import UInt64, UInt128, UtcDateTime

__all__ = [
    "admin_signature_replays",
    "assets",
    "fees",
    "idempotency_keys",
    "ledger_accounts",
    "ledger_expiries",
    "ledger_transfers",
    "liquidity_alerts",
    "metadata",
    "node_secrets",
    "operator_tenant",
    "outgoing_payments",
    "peer_incoming_tokens",
    "peers",
    "wallet_addresses",
    "webhook_events",
]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "pk": "pk_%(table_name)s",
    }
)

_DEBITS_MUST_NOT_EXCEED_CREDITS = 2
_CREDITS_MUST_NOT_EXCEED_DEBITS = 4

ledger_accounts = Table(
    "ledger_accounts",
    metadata,
    Column("id", UInt128(), primary_key=True),
    Column("ledger", BigInteger, nullable=False),
    Column("code", Integer, nullable=False),
    Column("flags", Integer, nullable=False),
    Column("user_data_128", UInt128(), nullable=False),
    Column("user_data_64", UInt64(), nullable=False),
    Column("user_data_32", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("seq", BigInteger, nullable=False, unique=True),
    # The timestamp of the last event that changed the balances (shared ledger's clock seed).
    Column("last_timestamp", BigInteger, nullable=False, server_default="0"),
    Column("debits_pending", UInt64(), nullable=False),
    Column("debits_posted", UInt64(), nullable=False),
    Column("credits_pending", UInt64(), nullable=False),
    Column("credits_posted", UInt64(), nullable=False),
    # PostgreSQL only: SQLite's signed 64-bit arithmetic cannot add u64 balances exactly.
    CheckConstraint(
        f"(flags & {_DEBITS_MUST_NOT_EXCEED_CREDITS}) = 0 "
        "OR debits_pending + debits_posted <= credits_posted",
        name="debits_must_not_exceed_credits",
    ).ddl_if(dialect="postgresql"),
    CheckConstraint(
        f"(flags & {_CREDITS_MUST_NOT_EXCEED_DEBITS}) = 0 "
        "OR credits_pending + credits_posted <= debits_posted",
        name="credits_must_not_exceed_debits",
    ).ddl_if(dialect="postgresql"),
    CheckConstraint(
        "debits_pending >= 0 AND debits_posted >= 0 AND credits_pending >= 0 "
        "AND credits_posted >= 0",
        name="balances_not_negative",
    ).ddl_if(dialect="postgresql"),
)

ledger_transfers = Table(
    "ledger_transfers",
    metadata,
    Column("id", UInt128(), primary_key=True),
    Column("debit_account_id", UInt128(), nullable=False),
    Column("credit_account_id", UInt128(), nullable=False),
    Column("amount", UInt64(), nullable=False),
    Column("pending_id", UInt128(), nullable=True),
    Column("user_data_128", UInt128(), nullable=False),
    Column("user_data_64", UInt64(), nullable=False),
    Column("user_data_32", BigInteger, nullable=False),
    Column("timeout", BigInteger, nullable=False),
    Column("ledger", BigInteger, nullable=False),
    Column("code", Integer, nullable=False),
    Column("flags", Integer, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("seq", BigInteger, nullable=False, unique=True),
    CheckConstraint("debit_account_id <> credit_account_id", name="accounts_differ"),
    Index("ix_ledger_transfers_debit_account_id", "debit_account_id"),
    Index("ix_ledger_transfers_credit_account_id", "credit_account_id"),
    Index(
        "uq_ledger_transfers_pending_id",
        "pending_id",
        unique=True,
        postgresql_where=text("pending_id IS NOT NULL"),
        sqlite_where=text("pending_id IS NOT NULL"),
    ),
)

ledger_expiries = Table(
    "ledger_expiries",
    metadata,
    Column("pending_id", UInt128(), primary_key=True),
    Column("timestamp", BigInteger, nullable=False),
    Column("seq", BigInteger, nullable=False, unique=True),
)

# -- peering -----------------------------------------------------------------------------------

# Rafiki's limit on asset codes (`validation.is_valid_asset_code` enforces it).
ASSET_CODE_LENGTH_MAX = 64
# A sha256 hex digest.
TOKEN_HASH_LENGTH = 64
# An HMAC-SHA256 hex digest (the `v<N>=` part of an Admin API signature).
SIGNATURE_DIGEST_LENGTH = 64

assets = Table(
    "assets",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("ledger", Integer, nullable=False, unique=True),
    Column("code", String(ASSET_CODE_LENGTH_MAX), nullable=False),
    Column("scale", SmallInteger, nullable=False),
    Column("withdrawal_threshold", UInt64(), nullable=True),
    Column("liquidity_threshold", UInt64(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("deleted_at", UtcDateTime(), nullable=True),
    Column("liquidity_high_threshold", UInt64(), nullable=True),  # migration 0009
    UniqueConstraint("code", "scale"),
    Index("ix_assets_created_at_id", "created_at", "id"),
)

peers = Table(
    "peers",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column(
        "asset_id",
        Uuid(),
        ForeignKey("assets.id", name="fk_peers_asset_id_assets"),
        nullable=False,
    ),
    Column("static_ilp_address", Text, nullable=False, index=True),
    Column("routes", Text, nullable=False),  # JSON array of strings
    Column("outgoing_token", Text, nullable=False),
    Column("outgoing_endpoint", Text, nullable=False),
    Column("max_packet_amount", UInt64(), nullable=True),
    Column("name", Text, nullable=True),
    Column("liquidity_threshold", UInt64(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    # Created by auto-peering (migration 0004); only such peers can be re-peered by a request.
    Column("auto_peered", Boolean, nullable=False, server_default=false()),
    Column("liquidity_high_threshold", UInt64(), nullable=True),  # migration 0009
    UniqueConstraint("asset_id", "static_ilp_address"),
    Index("ix_peers_created_at_id", "created_at", "id"),
)

peer_incoming_tokens = Table(
    "peer_incoming_tokens",
    metadata,
    Column("token_hash", String(TOKEN_HASH_LENGTH), primary_key=True),
    Column(
        "peer_id",
        Uuid(),
        ForeignKey("peers.id", name="fk_peer_incoming_tokens_peer_id_peers", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key", Text, primary_key=True),
    Column("operation", Text, nullable=False),
    Column("arguments", Text, nullable=False),  # "sha256:<hex>" of the canonical arguments
    Column("result", Text, nullable=True),  # JSON, once the mutation succeeded
    Column("locked_until", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
)

admin_signature_replays = Table(
    "admin_signature_replays",
    metadata,
    Column("digest", String(SIGNATURE_DIGEST_LENGTH), primary_key=True),  # the HMAC, hex
    Column("expires_at_ms", BigInteger, nullable=False, index=True),  # Unix ms; pruning order
)

# -- fees and the operator tenant (migration 0007) ----------------------------------------------

FEE_TYPE_LENGTH = 9  # "RECEIVING"
BASIS_POINTS_MAX = 10_000

fees = Table(
    "fees",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column(
        "asset_id",
        Uuid(),
        ForeignKey("assets.id", name="fk_fees_asset_id_assets"),
        nullable=False,
    ),
    Column("type", String(FEE_TYPE_LENGTH), nullable=False),
    Column("fixed", UInt64(), nullable=False),
    Column("basis_points", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    CheckConstraint("type IN ('SENDING', 'RECEIVING')", name="type_known"),
    CheckConstraint(f"basis_points BETWEEN 0 AND {BASIS_POINTS_MAX}", name="basis_points_range"),
    Index("ix_fees_asset_id_created_at_id", "asset_id", "created_at", "id"),
)

operator_tenant = Table(
    "operator_tenant",
    metadata,
    Column("id", SmallInteger, primary_key=True),  # always 1: one row
    Column("created_at", UtcDateTime(), nullable=False),
    CheckConstraint("id = 1", name="one_row"),
)

# -- payments (migration 0008) -----------------------------------------------------------------

# `services.payments.urls.URL_LENGTH_MAX`: every stored address fits.
WALLET_ADDRESS_URL_LENGTH_MAX = 2048

wallet_addresses = Table(
    "wallet_addresses",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("url", String(WALLET_ADDRESS_URL_LENGTH_MAX), nullable=False, unique=True),
    Column(
        "asset_id",
        Uuid(),
        ForeignKey("assets.id", name="fk_wallet_addresses_asset_id_assets"),
        nullable=False,
        index=True,
    ),
    Column("public_name", Text, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("deactivated_at", UtcDateTime(), nullable=True),
    Index("ix_wallet_addresses_created_at_id", "created_at", "id"),
)

node_secrets = Table(
    "node_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

# -- liquidity webhooks (migration 0009) -----------------------------------------------------------

# The longest alert state name ("normal") and event type ("asset.liquidity_high"), with room.
ALERT_STATE_LENGTH_MAX = 8
EVENT_TYPE_LENGTH_MAX = 64

liquidity_alerts = Table(
    "liquidity_alerts",
    metadata,
    Column("account_id", Uuid(), primary_key=True),  # the peer's or the asset's id
    Column("state", String(ALERT_STATE_LENGTH_MAX), nullable=False),
    Column("liquidity_threshold", UInt64(), nullable=True),
    Column("liquidity_high_threshold", UInt64(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
)

webhook_events = Table(
    "webhook_events",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("type", String(EVENT_TYPE_LENGTH_MAX), nullable=False),
    Column("data", Text, nullable=False),  # the event's JSON object
    Column("created_at", UtcDateTime(), nullable=False),
    Column("account_id", Uuid(), nullable=True),  # the peer or asset it is about
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("status_code", Integer, nullable=True),
    Column("process_at", UtcDateTime(), nullable=True),
    Index("ix_webhook_events_created_at_id", "created_at", "id"),
    Index("ix_webhook_events_process_at", "process_at"),
)


# -- outgoing payments (migration 0011) ------------------------------------------------------------

PAYMENT_STATE_LENGTH_MAX = 9  # "COMPLETED", "CANCELLED"
PAYMENT_OWNER_LENGTH_MAX = 200

outgoing_payments = Table(
    "outgoing_payments",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column(
        "wallet_address_id",
        Uuid(),
        ForeignKey("wallet_addresses.id", name="fk_outgoing_payments_wallet_address_id"),
        nullable=True,
    ),
    Column(
        "asset_id",
        Uuid(),
        ForeignKey("assets.id", name="fk_outgoing_payments_asset_id_assets"),
        nullable=False,
    ),
    Column("asset_code", String(ASSET_CODE_LENGTH_MAX), nullable=False),
    Column("asset_scale", SmallInteger, nullable=False),
    Column("ledger", BigInteger, nullable=False),
    Column("receiver", Text, nullable=False),
    Column("destination_account", Text, nullable=True),
    Column("state", String(PAYMENT_STATE_LENGTH_MAX), nullable=False),
    Column("error", Text, nullable=True),
    Column("requested_debit", UInt64(), nullable=True),
    Column("requested_receive", UInt64(), nullable=True),
    Column("fee_fixed", UInt64(), nullable=False),
    Column("fee_basis_points", Integer, nullable=False),
    Column("send_target", UInt64(), nullable=True),
    Column("max_debit", UInt64(), nullable=True),
    Column("sent", UInt64(), nullable=False),
    Column("delivered", UInt64(), nullable=False),
    Column("packets", BigInteger, nullable=False),
    Column("receive_asset_code", String(ASSET_CODE_LENGTH_MAX), nullable=True),
    Column("receive_asset_scale", SmallInteger, nullable=True),
    Column("estimated_receive", UInt64(), nullable=True),
    Column("fee", UInt64(), nullable=True),
    Column("owner", String(PAYMENT_OWNER_LENGTH_MAX), nullable=True),
    Column("lease_until", UtcDateTime(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    CheckConstraint(
        "state IN ('FUNDING', 'SENDING', 'COMPLETED', 'FAILED', 'CANCELLED')", name="state_known"
    ),
    CheckConstraint("(requested_debit IS NULL) <> (requested_receive IS NULL)", name="one_amount"),
    Index("ix_outgoing_payments_created_at_id", "created_at", "id"),
    Index(
        "ix_outgoing_payments_wallet_address_id_created_at_id",
        "wallet_address_id",
        "created_at",
        "id",
    ),
    Index("ix_outgoing_payments_state_lease_until", "state", "lease_until"),
)
