"""The payments tables, hosted wallet addresses and the money they send and receive.

- `wallet_addresses` (migration 0008), written by `wallet_address_repository`: one row per
  wallet address hosted by the node; `url` (lowercase) is unique; `deactivated_at` is set while
  it is inactive (Rafiki's column); its asset is fixed.
- `node_secrets` (migration 0008), written by `secret_store`: secrets the node generates once and
  shares between its processes (the STREAM server secret when STREAM_SECRET is unset), base64
  text by name; a row is never changed.
- `received_payments` (migration 0010), written and read by `received_payment_store`: one row per
  STREAM connection that paid into a wallet address, its `id` derived from the connection's token
  (`services.payments.received_tally.connection_id`), with the total received (u64), the packets
  and the first and latest packet's time, added to by every process that received on the
  connection (`services.payments.received_payments`).
- `outgoing_payments` (migration 0011), read and written by `outgoing_payment_repository`: one
  row per payment the node sends (`ilpnode.services.outgoing_payments`): its source (a wallet
  address, or NULL for the asset's liquidity; the asset's code, scale and ledger copied, as an
  asset never changes them), the request (`requested_debit` xor `requested_receive`, checked),
  the sending fee in force at creation, what the probe told (receiver's asset, `send_target`,
  `max_debit`), the progress (`sent`, `delivered`, `packets`, saved every second while it runs),
  `fee` once over, and the running process (`owner`, `lease_until`: only the owner writes a
  running payment's row).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    Uuid,
)

from ilpnode.storage.schema.base import metadata
from ilpnode.storage.schema.peering import ASSET_CODE_LENGTH_MAX
from ilpnode.storage.types import UInt64, UtcDateTime

__all__ = ["node_secrets", "outgoing_payments", "received_payments", "wallet_addresses"]

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

# -- the payments received (migration 0010) ---------------------------------------------------

received_payments = Table(
    "received_payments",
    metadata,
    Column("id", Uuid(), primary_key=True),  # the connection's id, from its token
    Column(
        "wallet_address_id",
        Uuid(),
        ForeignKey(
            "wallet_addresses.id", name="fk_received_payments_wallet_address_id_wallet_addresses"
        ),
        nullable=False,
    ),
    Column("asset_code", String(ASSET_CODE_LENGTH_MAX), nullable=False),
    Column("asset_scale", SmallInteger, nullable=False),
    Column("total_received", UInt64(), nullable=False),
    Column("packets", BigInteger, nullable=False),
    Column("first_packet_at", UtcDateTime(), nullable=False),
    Column("last_packet_at", UtcDateTime(), nullable=False),
    Index(
        "ix_received_payments_wallet_address_id_first_packet_at_id",
        "wallet_address_id",
        "first_packet_at",
        "id",
    ),
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
