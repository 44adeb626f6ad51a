"""Peer id -> what the connector needs to forward to or from that peer, in memory.

The peer service keeps it in step with the database (create, update, delete, start-up), like the
routing table and the token index (through `connector/peer_table.py`), so the packet path never
reads the database: one dict lookup per packet gives the peer's address, asset, limits, outgoing
endpoint and ledger account.
"""

from __future__ import annotations

from uuid import UUID

from ilpnode.peer_table import ForwardingPeer

__all__ = ["PeerDirectory"]


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
