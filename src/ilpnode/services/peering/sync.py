"""Bringing `PeerMemory` in line with the database: some peers (`refresh`), or all (`reconcile`).

Both read what the database has now and install it (see `memory.py` for why an observation is
stamped before it reads). They are idempotent: run twice, or for a peer that did not change,
they change nothing. The change feed calls them when another process (or this one) changed a
peer or an asset; the node calls `reconcile` at start-up, after the feed reconnects, and
periodically as a safety net.

On PostgreSQL a transaction is READ COMMITTED, so a change committed while a reconcile reads may
be seen in part (a peer's row without its new tokens); the notice of that very commit, or the
next reconcile, completes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from ilpnode.services.peering.memory import Change, PeerMemory, PeerState
from ilpnode.services.peering.model import Asset
from ilpnode.services.peering.ports import PeeringStore, PeeringTransaction

__all__ = ["SyncCounts", "reconcile", "refresh"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncCounts:
    """What a refresh or a reconciliation changed in memory, peer by peer."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    stale: int = 0
    """Newer news of the peer had been installed meanwhile (nothing to do)."""

    @property
    def changed(self) -> int:
        return self.added + self.updated + self.removed

    @staticmethod
    def of(changes: Iterable[Change]) -> SyncCounts:
        counts = dict.fromkeys(Change, 0)
        for change in changes:
            counts[change] += 1
        return SyncCounts(
            added=counts[Change.ADDED],
            updated=counts[Change.UPDATED],
            removed=counts[Change.REMOVED],
            unchanged=counts[Change.UNCHANGED],
            stale=counts[Change.STALE],
        )


async def refresh(
    *,
    store: PeeringStore,
    memory: PeerMemory,
    peer_ids: Iterable[UUID] = (),
    asset_ids: Iterable[UUID] = (),
) -> dict[UUID, Change]:
    """Make memory match the database for these peers and for every peer in memory whose
    asset is one of `asset_ids` (a peer created, changed or deleted; an asset changed), in one
    read transaction. Returns what happened to each. Raises only on infrastructure faults
    (then memory is unchanged)."""
    wanted = dict.fromkeys(peer_ids)
    assets = set(asset_ids)
    if assets:
        for peer_id in memory.installed_ids():
            state = memory.installed(peer_id)
            if state is not None and state.peer.asset_id in assets:
                wanted[peer_id] = None
    if not wanted:
        return {}
    with memory.observing() as stamp:
        states: dict[UUID, PeerState | None] = {}
        async with store.transaction() as tx:
            known: dict[UUID, Asset | None] = {}
            for peer_id in wanted:
                states[peer_id] = await _read(tx, peer_id, known)
        return {i: memory.install(stamp, i, state) for i, state in states.items()}


async def reconcile(*, store: PeeringStore, memory: PeerMemory) -> tuple[int, SyncCounts]:
    """Make memory match the database for every peer: install each stored peer, forget each
    peer in memory that is no longer stored. Returns (peers stored, what changed). Raises only
    on infrastructure faults (then memory is unchanged)."""
    with memory.observing() as stamp:
        async with store.transaction() as tx:
            rows = await tx.all_peers()
            known: dict[UUID, Asset | None] = {}
            for peer, _ in rows:
                if peer.asset_id not in known:
                    known[peer.asset_id] = await tx.asset_by_id(peer.asset_id)
        # Oldest peer first (`all_peers`' order), so that on a fresh start the oldest route to
        # a prefix is the oldest peer's, as it was when the routes were added one by one.
        changes = [
            memory.install(stamp, peer.id, PeerState(peer, frozenset(hashes), known[peer.asset_id]))
            for peer, hashes in rows
        ]
        stored = {peer.id for peer, _ in rows}
        changes += [
            memory.install(stamp, peer_id, None)
            for peer_id in memory.installed_ids()
            if peer_id not in stored
        ]
    memory.forget_tombstones()
    return len(rows), SyncCounts.of(changes)


async def _read(
    tx: PeeringTransaction, peer_id: UUID, known: dict[UUID, Asset | None]
) -> PeerState | None:
    peer = await tx.peer_by_id(peer_id)
    if peer is None:
        return None
    if peer.asset_id not in known:
        known[peer.asset_id] = await tx.asset_by_id(peer.asset_id)
    hashes = frozenset(await tx.token_hashes(peer_id))
    return PeerState(peer, hashes, known[peer.asset_id])
