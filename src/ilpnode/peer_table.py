"""The peer table: what the packet path knows of each peer, and the one port that changes it.

The connector answers every packet from memory: a token digest names the incoming peer, the
routing table names the next hop, and the peer's `ForwardingPeer` entry gives its address, asset,
limits, endpoint, outgoing token and ledger account. The connector owns those tables and reads
them directly (`connector/peer_table.py` implements the port over them); the peer service
(`services.peering`) keeps them in step with the database, and changes them only through
`PeerTable`: install (or replace) a peer with its entry, tokens and routes, or remove it. So the
services never import the connector, and the connector never imports the services.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol
from uuid import UUID

from ilpnode.accounting import PacketAccount

__all__ = ["ForwardingPeer", "PeerTable", "token_hash"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ForwardingPeer:
    """One peer as the packet path sees it. `outgoing_token` is a secret: never log it.

    A wallet address hosted here is a next hop too, for the packets paid into it (the STREAM
    receiver's local chain, `connector/middleware/stream_receiver.py`): then `name` is its URL,
    `static_ilp_address` ours, `account` its `WalletAddressAccount`, and `endpoint` empty.
    """

    id: UUID
    name: str | None
    static_ilp_address: str
    asset_id: UUID
    asset_code: str
    asset_scale: int
    max_packet_amount: int | None
    endpoint: str
    outgoing_token: str
    account: PacketAccount
    key: int = field(init=False, repr=False, compare=False)
    """`id.int`, set once: the key of every per-peer table on the packet path (a UUID hashes
    and compares in Python code, an int in C)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", self.id.int)

    def __repr__(self) -> str:
        return (
            f"ForwardingPeer(id={self.id}, address={self.static_ilp_address!r}, "
            f"asset={self.asset_code}/{self.asset_scale}, endpoint={self.endpoint!r})"
        )

    @property
    def label(self) -> str:
        """How logs and metrics name the peer: its name, or its address."""
        return self.name or self.static_ilp_address


def token_hash(token: str) -> str:
    """The sha256 hex digest (64 lowercase characters) of a token's UTF-8 bytes: how incoming
    tokens are stored (database) and looked up (memory), so neither ever holds a usable token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class PeerTable(Protocol):
    """The packet path's peers (tokens, entries, routes), as the peer service changes them.

    Synchronous, so the packet path never sees a peer half-installed. Not thread-safe; one event
    loop owns it.
    """

    def install(
        self,
        peer_id: UUID,
        *,
        asset_id: UUID,
        entry: ForwardingPeer | None,
        token_hashes: frozenset[str],
        routes: Sequence[str],
    ) -> None:
        """Make the table show this peer exactly: its entry (None: the peer is routed and its
        tokens are known, but the connector neither accepts its packets nor forwards to it),
        the sha256 digests of its incoming tokens, and its route prefixes in `asset_id`.

        Replacing a peer changes only what differs: a route it keeps (same prefix, same asset)
        keeps its age, and so its rank among the routes to that prefix (the oldest wins)."""
        ...

    def remove(self, peer_id: UUID) -> None:
        """Forget the peer: its entry, tokens and routes (nothing happens for an unknown one)."""
        ...

    def next_hop(self, destination: str, *, asset_id: UUID) -> UUID | None:
        """The peer the connector routes `destination` to in `asset_id` (longest prefix), or
        None."""
        ...
