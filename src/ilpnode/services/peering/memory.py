"""The packet path's view of the peers, and the one way it changes: installing a peer's state.

Theory of operation
===================

The connector reads three in-memory structures and never the database: the routing table
(prefix -> peer), the token index (token digest -> peer) and the directory (peer -> endpoint,
outgoing token, asset, limits, account). `PeerMemory` keeps them in step, one peer at a time,
through the `PeerTable` port (`ilpnode.peer_table`, which the connector implements):
`install(stamp, peer_id, state)` makes memory show `state` (a peer, its token digests and its
asset, as the database has them) or, for None, forget the peer. The table changes only what
differs (a kept route keeps its age: its rank among routes to the same prefix, where the oldest
wins); `PeerMemory` remembers what it installed per peer, so installing the same state twice
changes nothing.

Who installs: the peer service after its own writes (what it just wrote) and the refreshes of
the change feed (what it just read; `sync.py`). Both race in one process with several writers
sharing the database: a refresh that read the row before a change may finish after a refresh
that read it afterwards. Hence stamps: every observation of the database (a read, or a write
whose result is installed) draws an increasing stamp *before* it starts (`observing()`), and an
install whose stamp is older than the one last installed for that peer is dropped as stale. With
every commit followed by a refresh in every process (the change feed, own changes included), the
last install of a peer is from an observation that began after its last commit: memory ends
equal to the database. A removed peer's stamp is kept (a tombstone), so a stale read cannot bring
it back; `forget_tombstones` drops those that no open observation can beat any more.

Not thread-safe; one event loop owns it (installing is synchronous: the connector never sees a
peer half-installed).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from uuid import UUID

from ilpnode.accounting import PeerAccount
from ilpnode.peer_table import ForwardingPeer, PeerTable
from ilpnode.services.peering.model import Asset, Peer

__all__ = ["Change", "PeerMemory", "PeerState", "routes_of"]


@dataclass(frozen=True, slots=True)
class PeerState:
    """One peer as the database has it. `asset` is None when the peer's asset is missing or
    soft-deleted: the peer is then routed and its tokens are known, but it has no directory
    entry, so the connector neither accepts its packets nor forwards to it."""

    peer: Peer
    token_hashes: frozenset[str]
    asset: Asset | None


class Change(enum.Enum):
    """What an install did."""

    ADDED = "added"
    UPDATED = "updated"
    REMOVED = "removed"
    UNCHANGED = "unchanged"
    STALE = "stale"
    """Dropped: a newer observation of this peer was installed already."""


class PeerMemory:
    """The packet path's peer table, changed only through `install`."""

    def __init__(self, *, table: PeerTable) -> None:
        self._table = table
        self._states: dict[UUID, PeerState] = {}
        self._stamps: dict[UUID, int] = {}  # the last installed stamp, removed peers included
        self._last_stamp = 0
        self._open: dict[int, None] = {}  # stamps of observations still going on

    @contextmanager
    def observing(self) -> Iterator[int]:
        """A new stamp, drawn before the caller reads (or writes) the database."""
        self._last_stamp += 1
        stamp = self._last_stamp
        self._open[stamp] = None
        try:
            yield stamp
        finally:
            del self._open[stamp]

    def install(self, stamp: int, peer_id: UUID, state: PeerState | None) -> Change:
        """Make memory show `state` for `peer_id` (None: the peer is gone), unless an
        observation newer than `stamp` was installed for it already. Never raises."""
        if stamp < self._stamps.get(peer_id, 0):
            return Change.STALE
        self._stamps[peer_id] = stamp
        old = self._states.get(peer_id)
        if old == state:
            return Change.UNCHANGED
        if state is None:
            assert old is not None  # old == state otherwise
            self._remove(old)
            return Change.REMOVED
        self._put(state)
        return Change.ADDED if old is None else Change.UPDATED

    def installed(self, peer_id: UUID) -> PeerState | None:
        """What memory shows for the peer, or None."""
        return self._states.get(peer_id)

    def installed_ids(self) -> frozenset[UUID]:
        """Every peer in memory."""
        return frozenset(self._states)

    def forget_tombstones(self) -> None:
        """Drop the stamps of removed peers that every open observation is newer than (they
        can no longer be beaten by a stale install)."""
        oldest_open = min(self._open, default=self._last_stamp + 1)
        for peer_id, stamp in list(self._stamps.items()):
            if stamp < oldest_open and peer_id not in self._states:
                del self._stamps[peer_id]

    def _put(self, new: PeerState) -> None:
        peer = new.peer
        self._table.install(
            peer.id,
            asset_id=peer.asset_id,
            entry=None if new.asset is None else _forwarding(peer, new.asset),
            token_hashes=new.token_hashes,
            routes=routes_of(peer),
        )
        self._states[peer.id] = new

    def _remove(self, old: PeerState) -> None:
        self._table.remove(old.peer.id)
        del self._states[old.peer.id]


def routes_of(peer: Peer) -> tuple[str, ...]:
    """Stored routes, or the static address for legacy rows without any (Rafiki)."""
    return peer.routes or (peer.static_ilp_address,)


def _forwarding(peer: Peer, asset: Asset) -> ForwardingPeer:
    return ForwardingPeer(
        id=peer.id,
        name=peer.name,
        static_ilp_address=peer.static_ilp_address,
        asset_id=asset.id,
        asset_code=asset.code,
        asset_scale=asset.scale,
        max_packet_amount=peer.max_packet_amount,
        endpoint=peer.http_outgoing.endpoint,
        outgoing_token=peer.http_outgoing.auth_token,
        account=PeerAccount.for_peer(peer_id=peer.id, asset_id=asset.id, ledger=asset.ledger),
    )
