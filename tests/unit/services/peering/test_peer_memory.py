"""PeerMemory: stamps drop stale installs; a removed peer's tombstone lasts while it matters."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from uuid import uuid4

from ilpnode.connector.directory import PeerDirectory
from ilpnode.connector.peer_table import ConnectorPeerTable
from ilpnode.connector.routing import RoutingTable
from ilpnode.connector.token_index import TokenIndex
from ilpnode.peer_table import token_hash
from ilpnode.services.peering import Asset, Change, HttpOutgoing, Peer
from ilpnode.services.peering.memory import PeerMemory, PeerState

NOW = datetime(2027, 1, 1, tzinfo=UTC)
USD = Asset(
    id=uuid4(),
    code="USD",
    scale=2,
    ledger=1,
    withdrawal_threshold=None,
    liquidity_threshold=None,
    created_at=NOW,
    updated_at=NOW,
)
BOB = Peer(
    id=uuid4(),
    asset_id=USD.id,
    static_ilp_address="test.bob",
    routes=("test.bob",),
    http_outgoing=HttpOutgoing(auth_token="out", endpoint="http://bob.example"),
    max_packet_amount=None,
    name=None,
    liquidity_threshold=None,
    created_at=NOW,
    updated_at=NOW,
)
STATE = PeerState(BOB, frozenset({token_hash("in")}), USD)


def memory() -> tuple[PeerMemory, RoutingTable, TokenIndex, PeerDirectory]:
    routing, index, directory = RoutingTable(), TokenIndex(), PeerDirectory()
    return (
        PeerMemory(table=ConnectorPeerTable(directory=directory, tokens=index, routing=routing)),
        routing,
        index,
        directory,
    )


def test_installs_change_only_what_differs_and_report_it() -> None:
    m, routing, index, directory = memory()
    with m.observing() as stamp:
        assert m.install(stamp, BOB.id, STATE) is Change.ADDED
        assert m.install(stamp, BOB.id, STATE) is Change.UNCHANGED
    with m.observing() as stamp:
        assert m.install(stamp, BOB.id, None) is Change.REMOVED
    assert (len(routing), len(index), len(directory), m.installed_ids()) == (0, 0, 0, frozenset())


def test_an_older_observation_is_dropped() -> None:
    m, routing, _, _ = memory()
    with m.observing() as older, m.observing() as newer:
        moved = PeerState(replace(BOB, routes=("test.robert",)), STATE.token_hashes, USD)
        assert m.install(newer, BOB.id, moved) is Change.ADDED
        assert m.install(older, BOB.id, STATE) is Change.STALE
    assert routing.next_hop("test.robert") == BOB.id
    assert routing.next_hop("test.bob") is None


def test_a_tombstone_lasts_while_an_older_observation_is_open() -> None:
    m, _, index, _ = memory()
    with m.observing() as first:
        m.install(first, BOB.id, STATE)
    with m.observing() as slow:  # a read that saw the peer, still going on
        with m.observing() as delete:
            assert m.install(delete, BOB.id, None) is Change.REMOVED
        m.forget_tombstones()
        assert m.install(slow, BOB.id, STATE) is Change.STALE  # not brought back
    assert index.peer_for_token("in") is None
    m.forget_tombstones()
    # Now no observation could be older than the delete: the tombstone is gone (shown by a
    # stamp no real caller could still hold).
    assert m.install(slow, BOB.id, STATE) is Change.ADDED
