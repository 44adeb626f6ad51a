"""Peer id -> what the connector needs to forward to or from that peer, in memory.

The peer service keeps it in step with the database (create, update, delete, start-up), like the
routing table and the token index, so the packet path never reads the database: one dict lookup
per packet gives the peer's address, asset, limits, outgoing endpoint and ledger account.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from ilpnode.services.accounting import PacketAccount

__all__ = ["ForwardingPeer", "PeerDirectory"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ForwardingPeer:
    """One peer as the packet path sees it. `outgoing_token` is a secret: never log it.

    A wallet address hosted here is a next hop too, for the packets paid into it (the STREAM
    receiver's local chain, `middleware/stream_receiver.py`): then `name` is its URL,
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


class PeerDirectory:
    """Peer id -> `ForwardingPeer`. Not thread-safe; one event loop owns it."""

    def __init__(self) -> None:
        # Keyed by `ForwardingPeer.key`: every packet looks peers up.
        self._peers: dict[int, ForwardingPeer] = {}

    def put(self, peer: ForwardingPeer) -> None:
        """Add or replace a peer."""
        self._peers[peer.key] = peer

    def remove(self, peer_id: UUID) -> None:
        """Forget a peer (nothing happens for an unknown one)."""
        self._peers.pop(peer_id.int, None)

    def get(self, peer_id: UUID | None) -> ForwardingPeer | None:
        """The peer, or None (also for None, so `get(index.peer_for_token(t))` reads well)."""
        if peer_id is None:
            return None
        return self._peers.get(peer_id.int)

    def all(self) -> list[ForwardingPeer]:
        """Every peer, in no particular order."""
        return list(self._peers.values())

    def __len__(self) -> int:
        return len(self._peers)
