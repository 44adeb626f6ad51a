"""The routing table (rafiki-peering §4) and the token index."""

from __future__ import annotations

from uuid import uuid4

from ilpnode.connector.routing import RoutingTable
from ilpnode.connector.token_index import TokenIndex
from ilpnode.peer_table import token_hash

A, B, C = uuid4(), uuid4(), uuid4()
USD, EUR = uuid4(), uuid4()


def test_longest_prefix_is_segment_wise() -> None:
    table = RoutingTable()
    table.add("g.alice", A, USD)
    table.add("g.alice.bob", B, USD)
    assert table.next_hop("g.alice.bob.x") == B
    assert table.next_hop("g.alice.bobby") == A  # not character-wise
    assert table.next_hop("g.alice") == A
    assert table.next_hop("g.al") is None
    assert table.next_hop("g") is None  # no default route


def test_no_bounce_back_falls_back_to_a_shorter_prefix() -> None:
    table = RoutingTable()
    table.add("g", A, USD)
    table.add("g.b", B, USD)
    assert table.next_hop("g.b.c", exclude_peer_id=B) == A
    assert table.next_hop("g.b.c", exclude_peer_id=A) == B


def test_asset_filter() -> None:
    table = RoutingTable()
    table.add("g.x", A, USD)
    table.add("g.x", B, EUR)
    assert table.next_hop("g.x.y", asset_id=EUR) == B
    assert table.next_hop("g.x.y", asset_id=USD) == A
    assert table.next_hop("g.x.y", asset_id=uuid4()) is None


def test_the_oldest_route_wins_among_candidates_and_duplicates_keep_their_age() -> None:
    table = RoutingTable()
    table.add("g.x", A, USD)
    table.add("g.x", B, USD)
    table.add("g.x", A, USD)
    assert table.next_hop("g.x") == A
    table.remove("g.x", A, USD)
    assert table.next_hop("g.x") == B
    table.remove("g.x", B, USD)
    table.remove("g.x", C, USD)  # absent: no error
    table.remove("g.none", C, USD)
    assert len(table) == 0
    assert table.next_hop("g.x") is None


def test_token_index_replaces_and_removes_tokens() -> None:
    index = TokenIndex()
    index.set_tokens(A, [token_hash("t1"), token_hash("t2")])
    assert index.peer_for_token("t1") == A
    assert index.peer_for_token("t2") == A
    index.set_tokens(A, [token_hash("t3")])
    assert index.peer_for_token("t1") is None
    assert index.peer_for_token("t3") == A
    assert index.peer_for_hash(token_hash("t3")) == A
    assert len(index) == 1
    index.set_tokens(A, [])
    assert index.peer_for_token("t3") is None
    index.set_tokens(B, [token_hash("b")])
    index.remove_peer(B)
    index.remove_peer(C)
    assert len(index) == 0
    assert token_hash("x") == "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"


def test_longer_than_ignores_prefixes_as_short_as_our_own_address() -> None:
    table = RoutingTable()
    child, parent = uuid4(), uuid4()
    table.add("test.node.child", child, USD)
    table.add("test", parent, USD)
    own = len("test.node")
    assert table.next_hop("test.node.child.x", longer_than=own) == child
    assert table.next_hop("test.node.other", longer_than=own) is None
    assert table.next_hop("test.node.other") == parent
