"""PeerService.refresh / refresh_peers / reconcile: a second process's memory follows the database.

`p.peers` is process 1 (it writes); a `Replica` is another process over the same fake database,
with its own routing table, token index and directory, brought up to date only by refreshes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, replace
from uuid import UUID, uuid4

import pytest

from ilpnode.connector.directory import PeerDirectory
from ilpnode.connector.peer_table import ConnectorPeerTable
from ilpnode.connector.routing import RoutingTable
from ilpnode.connector.token_index import TokenIndex
from ilpnode.services.peering import (
    AssetError,
    Change,
    CreateAsset,
    CreatePeer,
    HttpOutgoing,
    Peer,
    PeerError,
    PeerService,
    SyncCounts,
    UpdatePeer,
)
from ilpnode.services.peering.ports import PeeringStore, PeeringTransaction

from .fakes import FakeStore, Peering, TickingClock, make_peering

OUT = HttpOutgoing(auth_token="out-1", endpoint="https://bob.example/ilp")
# What the tests look up: every address and token they use, and some they never give out.
ADDRESSES = ("test.bob", "test.bob.x", "test.robert", "test.carol", "g.far.y", "g.near", "g.none")
TOKENS = ("in-1", "in-2", "in-3", "c-1", "none")


@dataclass
class Replica:
    routing: RoutingTable
    index: TokenIndex
    directory: PeerDirectory
    peers: PeerService

    def view(self) -> tuple[object, ...]:
        """What the packet path can see, comparable between processes."""
        return (
            [self.routing.next_hop(address) for address in ADDRESSES],
            [self.index.peer_for_token(token) for token in TOKENS],
            sorted(self.directory.all(), key=lambda peer: peer.id),
            len(self.routing),
            len(self.index),
        )


def replica(p: Peering, store: PeeringStore | None = None) -> Replica:
    routing, index, directory = RoutingTable(), TokenIndex(), PeerDirectory()
    service = PeerService(
        store=store or p.store,
        liquidity=p.liquidity,
        table=ConnectorPeerTable(directory=directory, tokens=index, routing=routing),
        clock=TickingClock(),
    )
    return Replica(routing, index, directory, service)


async def fresh_view(p: Peering) -> tuple[object, ...]:
    """The view of a process started now (`load_all`)."""
    fresh = replica(p)
    await fresh.peers.load_all()
    return fresh.view()


async def _asset(p: Peering, code: str = "USD") -> UUID:
    asset = await p.assets.create(CreateAsset(code=code, scale=2))
    assert not isinstance(asset, AssetError)
    return asset.id


async def _peer(p: Peering, asset_id: UUID, address: str = "test.bob", **fields: object) -> Peer:
    values: dict[str, object] = {
        "asset_id": asset_id,
        "static_ilp_address": address,
        "http_outgoing": OUT,
        **fields,
    }
    peer = await p.peers.create(CreatePeer(**values))  # type: ignore[arg-type]
    assert not isinstance(peer, PeerError), peer
    return peer


async def _update(p: Peering, **fields: object) -> Peer:
    peer = await p.peers.update(UpdatePeer(**fields))  # type: ignore[arg-type]
    assert not isinstance(peer, PeerError), peer
    return peer


async def test_refresh_installs_a_peer_created_elsewhere_and_is_idempotent() -> None:
    p = make_peering()
    two = replica(p)
    peer = await _peer(p, await _asset(p), incoming_tokens=["in-1"], routes=["g.far"])
    assert two.index.peer_for_token("in-1") is None

    assert await two.peers.refresh(peer.id) is Change.ADDED
    assert two.index.peer_for_token("in-1") == peer.id
    assert two.routing.next_hop("g.far.y") == peer.id
    forwarding = two.directory.get(peer.id)
    assert forwarding is not None
    assert (forwarding.endpoint, forwarding.asset_code) == (OUT.endpoint, "USD")
    assert await two.peers.refresh(peer.id) is Change.UNCHANGED
    assert two.view() == await fresh_view(p)


async def test_refresh_follows_every_kind_of_update() -> None:
    p = make_peering()
    usd = await _asset(p)
    peer = await _peer(p, usd, incoming_tokens=["in-1"], routes=["g.far"], max_packet_amount=10)
    two = replica(p)
    await two.peers.load_all()

    new_out = HttpOutgoing(auth_token="out-2", endpoint="https://robert.example/ilp")
    await _update(
        p,
        id=peer.id,
        static_ilp_address="test.robert",
        routes=["g.near"],
        incoming_tokens=["in-2", "in-3"],
        http_outgoing=new_out,
        max_packet_amount=20,
        name="Robert",
    )
    assert await two.peers.refresh(peer.id) is Change.UPDATED

    assert two.index.peer_for_token("in-1") is None
    assert two.index.peer_for_token("in-3") == peer.id
    assert two.routing.next_hop("test.bob.x") is None
    assert two.routing.next_hop("g.far.y") is None
    assert two.routing.next_hop("g.near") == peer.id
    forwarding = two.directory.get(peer.id)
    assert forwarding is not None
    assert (forwarding.endpoint, forwarding.outgoing_token) == (new_out.endpoint, "out-2")
    assert (forwarding.max_packet_amount, forwarding.label) == (20, "Robert")
    assert two.view() == await fresh_view(p)


async def test_refresh_forgets_a_peer_deleted_elsewhere() -> None:
    p = make_peering()
    peer = await _peer(p, await _asset(p), incoming_tokens=["in-1"])
    two = replica(p)
    await two.peers.load_all()
    assert await p.peers.delete(peer.id) is None

    assert await two.peers.refresh(peer.id) is Change.REMOVED
    assert await two.peers.refresh(peer.id) is Change.UNCHANGED
    assert await two.peers.refresh(uuid4()) is Change.UNCHANGED  # never known, not stored
    assert (two.index.peer_for_token("in-1"), two.directory.get(peer.id)) == (None, None)
    assert (len(two.routing), len(two.index), len(two.directory)) == (0, 0, 0)


async def test_an_asset_refresh_refreshes_its_peers_only() -> None:
    p = make_peering()
    usd, eur = await _asset(p), await _asset(p, "EUR")
    bob = await _peer(p, usd, incoming_tokens=["in-1"])
    carol = await _peer(p, eur, "test.carol", incoming_tokens=["c-1"])
    two = replica(p)
    await two.peers.load_all()
    # The database is the truth, whoever wrote it: both assets change in place.
    for asset_id, code in ((usd, "USX"), (eur, "EUX")):
        p.store.state.assets[asset_id] = replace(p.store.state.assets[asset_id], code=code)

    counts = await two.peers.refresh_peers([], asset_ids=[usd])

    assert counts == SyncCounts(updated=1)
    bob_view, carol_view = two.directory.get(bob.id), two.directory.get(carol.id)
    assert bob_view is not None
    assert carol_view is not None
    assert (bob_view.asset_code, carol_view.asset_code) == ("USX", "EUR")


async def test_a_peer_of_a_deleted_asset_is_routed_but_not_served() -> None:
    p = make_peering()
    usd = await _asset(p)
    bob = await _peer(p, usd, incoming_tokens=["in-1"])
    two = replica(p)
    await two.peers.load_all()
    deleted = replace(p.store.state.assets[usd], deleted_at=p.store.state.assets[usd].created_at)
    p.store.state.assets[usd] = deleted

    assert await two.peers.refresh_peers([], asset_ids=[usd]) == SyncCounts(updated=1)
    assert two.directory.get(bob.id) is None  # so its packets are refused (as at start-up)
    assert two.view() == await fresh_view(p)


async def test_a_token_moved_to_another_peer_ends_with_it_in_either_order() -> None:
    for order in ("bob first", "carol first"):
        p = make_peering()
        usd = await _asset(p)
        bob = await _peer(p, usd, incoming_tokens=["in-1"])
        two = replica(p)
        await two.peers.load_all()
        await _update(p, id=bob.id, incoming_tokens=["in-2"])
        carol = await _peer(p, usd, "test.carol", incoming_tokens=["in-1"])
        ids = [bob.id, carol.id] if order == "bob first" else [carol.id, bob.id]

        for peer_id in ids:
            await two.peers.refresh(peer_id)

        assert two.index.peer_for_token("in-1") == carol.id, order
        assert two.index.peer_for_token("in-2") == bob.id, order
        assert two.view() == await fresh_view(p), order


async def test_reconcile_adds_changes_and_removes_then_changes_nothing() -> None:
    p = make_peering()
    usd = await _asset(p)
    kept = await _peer(p, usd, "test.carol", incoming_tokens=["c-1"])
    changed = await _peer(p, usd, incoming_tokens=["in-1"], routes=["g.far"])
    gone = await _peer(p, usd, "test.gone", incoming_tokens=["in-3"])
    two = replica(p)
    await two.peers.load_all()
    await _update(p, id=changed.id, routes=["g.near"], incoming_tokens=["in-2"])
    assert await p.peers.delete(gone.id) is None
    added = await _peer(p, usd, "test.robert")

    counts = await two.peers.reconcile()

    assert counts == SyncCounts(added=1, updated=1, removed=1, unchanged=1)
    assert two.view() == await fresh_view(p)
    assert two.routing.next_hop("test.robert") == added.id
    assert two.index.peer_for_token("c-1") == kept.id
    assert await two.peers.reconcile() == SyncCounts(unchanged=3)


async def test_own_writes_and_refreshes_agree() -> None:
    p = make_peering()
    peer = await _peer(p, await _asset(p), incoming_tokens=["in-1"], routes=["g.far"])
    await _update(p, id=peer.id, name="renamed")
    # The writer's memory is what it installed itself: a refresh finds nothing to change.
    assert await p.peers.refresh(peer.id) is Change.UNCHANGED
    assert await p.peers.reconcile() == SyncCounts(unchanged=1)


class Broken(Exception):
    pass


class BrokenStore:
    """A database that is down."""

    def transaction(self) -> AbstractAsyncContextManager[PeeringTransaction]:
        raise Broken("database down")


async def test_a_failed_refresh_raises_and_leaves_memory_alone() -> None:
    p = make_peering()
    peer = await _peer(p, await _asset(p), incoming_tokens=["in-1"])
    two = replica(p, store=BrokenStore())
    with pytest.raises(Broken):
        await two.peers.refresh(peer.id)
    with pytest.raises(Broken):
        await two.peers.reconcile()
    assert (len(two.routing), len(two.index), len(two.directory)) == (0, 0, 0)


class PausingStore:
    """The fake database, where a transaction can be held after it read (a slow refresh)."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.hold: asyncio.Event | None = None
        self.holding = asyncio.Event()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PeeringTransaction]:
        hold, self.hold = self.hold, None
        async with self.store.transaction() as tx:
            yield tx
        if hold is not None:
            self.holding.set()
            await hold.wait()


@pytest.mark.parametrize("change", ["update", "delete"])
async def test_a_slow_refresh_does_not_undo_a_newer_one(change: str) -> None:
    p = make_peering()
    peer = await _peer(p, await _asset(p), incoming_tokens=["in-1"])
    pausing = PausingStore(p.store)
    two = replica(p, store=pausing)
    release = pausing.hold = asyncio.Event()
    slow = asyncio.create_task(two.peers.refresh(peer.id))  # reads the peer as created
    await pausing.holding.wait()
    if change == "update":
        await _update(p, id=peer.id, incoming_tokens=["in-2"])
    else:
        assert await p.peers.delete(peer.id) is None
    newer = await two.peers.refresh(peer.id)
    assert newer is (Change.ADDED if change == "update" else Change.UNCHANGED)

    release.set()
    assert await slow is Change.STALE
    assert two.view() == await fresh_view(p)
