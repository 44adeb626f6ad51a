"""The connector's `PeerTable`: its directory, token index and routing table, changed together.

The packet path reads the three tables directly (`PeerDirectory`, `TokenIndex`, `RoutingTable`),
one dict lookup each; only the peer service's writes come through here (`ilpnode.peer_table`).
`ConnectorPeerTable` remembers each installed peer's asset, routes and token digests, so that
replacing a peer changes only what differs: a route no longer wanted is removed, a kept route
keeps its age (its rank among the routes to the same prefix, where the oldest wins), and the
tokens are replaced only when they changed.

Not thread-safe; one event loop owns it. Every call is synchronous: the packet path never sees a
peer half-installed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from ilpnode.connector.directory import PeerDirectory
from ilpnode.connector.routing import RoutingTable
from ilpnode.connector.token_index import TokenIndex
from ilpnode.peer_table import ForwardingPeer

__all__ = ["ConnectorPeerTable"]


@dataclass(frozen=True, slots=True)
class _Installed:
    asset_id: UUID
    routes: tuple[str, ...]
    token_hashes: frozenset[str]


class ConnectorPeerTable:
    """`PeerTable` over the connector's directory, token index and routing table.

    It implements the port by its shape, without naming it as a base: `ilpnode.peer_table` is
    compiled (`ForwardingPeer` is read on every packet), and an interpreted class cannot inherit
    a compiled Protocol."""

    def __init__(
        self, *, directory: PeerDirectory, tokens: TokenIndex, routing: RoutingTable
    ) -> None:
        self._directory = directory
        self._tokens = tokens
        self._routing = routing
        self._installed: dict[UUID, _Installed] = {}

    def install(
        self,
        peer_id: UUID,
        *,
        asset_id: UUID,
        entry: ForwardingPeer | None,
        token_hashes: frozenset[str],
        routes: Sequence[str],
    ) -> None:
        if entry is None:
            self._directory.remove(peer_id)
        else:
            self._directory.put(entry)
        old = self._installed.get(peer_id)
        if old is not None:
            kept = set(routes) if old.asset_id == asset_id else set()
            for prefix in old.routes:
                if prefix not in kept:
                    self._routing.remove(prefix, peer_id, old.asset_id)
        for prefix in routes:
            self._routing.add(prefix, peer_id, asset_id)
        if old is None or old.token_hashes != token_hashes:
            self._tokens.set_tokens(peer_id, token_hashes)
        self._installed[peer_id] = _Installed(asset_id, tuple(routes), token_hashes)

    def remove(self, peer_id: UUID) -> None:
        old = self._installed.pop(peer_id, None)
        if old is not None:
            for prefix in old.routes:
                self._routing.remove(prefix, peer_id, old.asset_id)
        self._tokens.remove_peer(peer_id)
        self._directory.remove(peer_id)

    def next_hop(self, destination: str, *, asset_id: UUID) -> UUID | None:
        return self._routing.next_hop(destination, asset_id=asset_id)
