"""ConnectorPeerTable: the port the peer service changes the connector's peers through."""

from __future__ import annotations

from uuid import UUID, uuid4

from ilpnode.accounting import PeerAccount
from ilpnode.connector.directory import PeerDirectory
from ilpnode.connector.peer_table import ConnectorPeerTable
from ilpnode.connector.routing import RoutingTable
from ilpnode.connector.token_index import TokenIndex
from ilpnode.peer_table import ForwardingPeer, token_hash

A, B = uuid4(), uuid4()
USD, EUR = uuid4(), uuid4()


def entry(peer_id: UUID, asset_id: UUID) -> ForwardingPeer:
    return ForwardingPeer(
        id=peer_id,
        name=None,
        static_ilp_address="test.a",
        asset_id=asset_id,
        asset_code="USD",
        asset_scale=2,
        max_packet_amount=None,
        endpoint="http://a.test/ilp",
        outgoing_token="out",
        account=PeerAccount.for_peer(peer_id=peer_id, asset_id=asset_id, ledger=1),
    )


def table() -> tuple[ConnectorPeerTable, PeerDirectory, TokenIndex, RoutingTable]:
    directory, tokens, routing = PeerDirectory(), TokenIndex(), RoutingTable()
    return (
        ConnectorPeerTable(directory=directory, tokens=tokens, routing=routing),
        directory,
        tokens,
        routing,
    )


def test_install_shows_the_entry_tokens_and_routes() -> None:
    t, directory, tokens, routing = table()
    t.install(
        A,
        asset_id=USD,
        entry=entry(A, USD),
        token_hashes=frozenset({token_hash("in")}),
        routes=("test.a", "test.x"),
    )
    assert directory.get(A) == entry(A, USD)
    assert tokens.peer_for_token("in") == A
    assert routing.next_hop("test.x.y") == A
    assert t.next_hop("test.a", asset_id=USD) == A
    assert t.next_hop("test.a", asset_id=EUR) is None


def test_replacing_keeps_the_age_of_a_kept_route_and_drops_the_rest() -> None:
    t, _, tokens, routing = table()
    t.install(A, asset_id=USD, entry=None, token_hashes=frozenset(), routes=("test.shared",))
    t.install(B, asset_id=USD, entry=None, token_hashes=frozenset(), routes=("test.shared",))
    t.install(A, asset_id=USD, entry=None, token_hashes=frozenset({"d"}), routes=("test.shared",))
    assert routing.next_hop("test.shared") == A  # still the oldest route
    t.install(A, asset_id=USD, entry=None, token_hashes=frozenset({"d"}), routes=("test.a",))
    assert routing.next_hop("test.shared") == B
    assert routing.next_hop("test.a") == A
    assert tokens.peer_for_hash("d") == A


def test_a_new_asset_moves_every_route() -> None:
    t, _, _, routing = table()
    t.install(A, asset_id=USD, entry=None, token_hashes=frozenset(), routes=("test.a",))
    t.install(A, asset_id=EUR, entry=None, token_hashes=frozenset(), routes=("test.a",))
    assert routing.next_hop("test.a", asset_id=USD) is None
    assert routing.next_hop("test.a", asset_id=EUR) == A


def test_no_entry_keeps_routes_and_tokens_but_no_directory_entry() -> None:
    t, directory, tokens, routing = table()
    t.install(A, asset_id=USD, entry=entry(A, USD), token_hashes=frozenset({"d"}), routes=("t",))
    t.install(A, asset_id=USD, entry=None, token_hashes=frozenset({"d"}), routes=("t",))
    assert directory.get(A) is None
    assert (tokens.peer_for_hash("d"), routing.next_hop("t")) == (A, A)


def test_remove_forgets_everything_and_an_unknown_peer_is_a_no_op() -> None:
    t, directory, tokens, routing = table()
    t.install(A, asset_id=USD, entry=entry(A, USD), token_hashes=frozenset({"d"}), routes=("t",))
    t.remove(A)
    t.remove(B)
    assert (len(directory), len(tokens), len(routing)) == (0, 0, 0)
