"""The change feed's notices: what a PostgreSQL NOTIFY says when a peer, an asset or a hosted
wallet address changed.

A notice is `<kind>:<uuid>` on channel `CHANNEL`, e.g. `peer:0b6f…`, `asset:9d1e…` or
`wallet_address:4c2a…`: which row
changed, never how (the receiver reads the row again, since the database is the truth). So a
notice is a few dozen bytes, far below PostgreSQL's 8000-byte payload limit, carries no secret,
and two notices for one row are as good as one. The repositories send them
(`peering_repository`, `wallet_address_repository`), the listener reads them (`change_feed`).
"""

from __future__ import annotations

import enum
from typing import Final
from uuid import UUID

__all__ = ["CHANNEL", "NoticeKind", "encode_notice", "parse_notice"]

CHANNEL: Final = "ilpnode_changes"


class NoticeKind(enum.Enum):
    """What changed: a peer (its row or its incoming tokens), an asset, or a wallet address."""

    PEER = "peer"
    ASSET = "asset"
    WALLET_ADDRESS = "wallet_address"


def encode_notice(kind: NoticeKind, row_id: UUID) -> str:
    """The payload for a change of `row_id`."""
    return f"{kind.value}:{row_id}"


def parse_notice(payload: str) -> tuple[NoticeKind, UUID] | None:
    """(kind, id) of a payload, or None if it is not one (a newer or foreign sender)."""
    kind, _, text = payload.partition(":")
    try:
        return NoticeKind(kind), UUID(text)
    except ValueError:
        return None
