"""The peering tables (migrations 0003, 0004, 0007, 0009), read and written by
`peering_repository` and `fee_repository`.

- `assets`: one row per asset, soft-deleted by `deleted_at`. `ledger` is the asset's ledger
  number, assigned max + 1 and never reused (deleted rows keep theirs); (code, scale) is unique
  over all rows, deleted ones included.
- `peers`: one row per peer; `routes` is a JSON array of ILP address prefixes (text, so both
  dialects store it alike); (asset_id, static_ilp_address) is unique; `auto_peered` (migration
  0004) says auto-peering created the peer.
- `peer_incoming_tokens`: sha256 hex digests of the peers' incoming tokens, globally unique
  (a token authenticates exactly one peer); deleted with their peer.
- `fees`: every fee ever set for an asset (`ilpnode.services.fees`), never updated or deleted;
  the newest of each type is the one in force. `type` is SENDING or RECEIVING, `basis_points`
  0..10000, both checked by the database too.

`assets` and `peers` gain `liquidity_high_threshold` in migration 0009 (the liquidity webhooks).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    false,
)

from ilpnode.storage.schema.base import metadata
from ilpnode.storage.types import UInt64, UtcDateTime

__all__ = ["ASSET_CODE_LENGTH_MAX", "assets", "fees", "peer_incoming_tokens", "peers"]

# Rafiki's limit on asset codes (`validation.is_valid_asset_code` enforces it).
ASSET_CODE_LENGTH_MAX = 64
# A sha256 hex digest.
TOKEN_HASH_LENGTH = 64

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

# -- fees (migration 0007) ----------------------------------------------------------------------

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
