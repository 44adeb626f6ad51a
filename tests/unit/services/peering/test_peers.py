"""PeerService over the fake store and a MemoryLedger (rafiki-peering §2.8, §4)."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from ilpnode.accounting import LiquidityError
from ilpnode.services.peering import (
    AssetError,
    CreateAsset,
    CreatePeer,
    HttpOutgoing,
    PageRequest,
    Peer,
    PeerError,
    UpdatePeer,
    page_request,
)

from .fakes import Peering, make_peering

OUT = HttpOutgoing(auth_token="out-secret", endpoint="https://peer.example:3002/ilp")


async def _asset(p: Peering, code: str = "USD") -> UUID:
    asset = await p.assets.create(CreateAsset(code=code, scale=2))
    assert not isinstance(asset, AssetError)
    return asset.id


async def _peer(p: Peering, asset_id: UUID, **fields: object) -> Peer:
    values: dict[str, object] = {
        "asset_id": asset_id,
        "static_ilp_address": "test.bob",
        "http_outgoing": OUT,
    }
    values.update(fields)
    peer = await p.peers.create(CreatePeer(**values))  # type: ignore[arg-type]
    assert not isinstance(peer, PeerError), peer
    return peer


async def test_create_routes_indexes_and_deposits() -> None:
    p = make_peering()
    usd = await _asset(p)
    peer = await _peer(
        p, usd, incoming_tokens=["in-1", "in-2"], routes=["g.far"], initial_liquidity=100
    )
    assert peer.routes == ("test.bob", "g.far")
    assert p.routing.next_hop("test.bob.x") == peer.id
    assert p.routing.next_hop("g.far.y") == peer.id
    assert p.index.peer_for_token("in-2") == peer.id
    assert await p.peers.liquidity(peer) == 100
    assert await p.peers.get(str(peer.id)) == peer
    assert "in-1" not in repr(p.store.state.tokens)  # only digests are stored
    assert "out-secret" not in repr(peer)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"static_ilp_address": "bob"}, PeerError.InvalidStaticIlpAddress),
        (
            {"static_ilp_address": "x", "http_outgoing": HttpOutgoing(auth_token="", endpoint="")},
            PeerError.InvalidStaticIlpAddress,  # address is checked first
        ),
        ({"http_outgoing": HttpOutgoing(auth_token="t", endpoint="http://.com")},
         PeerError.InvalidHTTPEndpoint),
        ({"http_outgoing": HttpOutgoing(auth_token="t", endpoint="peer:3002")},
         PeerError.InvalidHTTPEndpoint),
        ({"routes": ["g..x"]}, PeerError.InvalidRoute),
        ({"incoming_tokens": [""]}, PeerError.InvalidIncomingToken),
        ({"max_packet_amount": 2**64}, PeerError.InvalidAmount),
        ({"initial_liquidity": -1}, PeerError.InvalidInitialLiquidity),
        ({"asset_id": uuid4()}, PeerError.UnknownAsset),
        ({"asset_id": "not-a-uuid"}, PeerError.UnknownAsset),
        ({"incoming_tokens": ["a", "a"]}, PeerError.DuplicateIncomingToken),
    ],
)  # fmt: skip
async def test_bad_input_changes_nothing(fields: dict[str, object], error: PeerError) -> None:
    p = make_peering()
    usd = await _asset(p)
    values: dict[str, object] = {
        "asset_id": usd,
        "static_ilp_address": "test.bob",
        "http_outgoing": OUT,
    }
    values.update(fields)
    assert await p.peers.create(CreatePeer(**values)) is error  # type: ignore[arg-type]
    assert p.store.state.peers == {}
    assert p.store.state.tokens == {}
    assert len(p.routing) == 0
    assert len(p.index) == 0


async def test_duplicates_against_stored_rows() -> None:
    p = make_peering()
    usd, eur = await _asset(p), await _asset(p, "EUR")
    await _peer(p, usd, incoming_tokens=["t"])
    dup_peer = CreatePeer(asset_id=usd, static_ilp_address="test.bob", http_outgoing=OUT)
    assert await p.peers.create(dup_peer) is PeerError.DuplicatePeer
    dup_token = CreatePeer(
        asset_id=eur, static_ilp_address="test.bob", http_outgoing=OUT, incoming_tokens=["t"]
    )
    assert await p.peers.create(dup_token) is PeerError.DuplicateIncomingToken
    await _peer(p, eur)  # same address, other asset: fine
    assert len(p.store.state.peers) == 2


async def test_a_failed_deposit_leaves_no_peer_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    p = make_peering()
    usd = await _asset(p)

    async def failing_deposit(**_: object) -> LiquidityError:
        return LiquidityError.UnknownAsset

    monkeypatch.setattr(p.liquidity, "deposit", failing_deposit)
    request = CreatePeer(
        asset_id=usd,
        static_ilp_address="test.bob",
        http_outgoing=OUT,
        incoming_tokens=["t"],
        initial_liquidity=5,
    )
    assert await p.peers.create(request) is PeerError.InvalidInitialLiquidity
    assert p.store.state.peers == {}
    assert p.store.state.tokens == {}
    assert len(p.routing) == 0
    assert len(p.index) == 0


async def test_update_patches_and_keeps_memory_in_step() -> None:
    p = make_peering()
    usd = await _asset(p)
    peer = await _peer(p, usd, incoming_tokens=["old"], routes=["g.far"], name="Bob")
    moved = await p.peers.update(UpdatePeer(id=peer.id, static_ilp_address="test.robert"))
    assert not isinstance(moved, PeerError)
    assert moved.routes == ("test.robert", "g.far")  # element 0 follows (quirk fixed)
    assert moved.name == "Bob"
    assert moved.http_outgoing == OUT
    assert p.routing.next_hop("test.bob") is None
    assert p.routing.next_hop("test.robert.x") == peer.id
    assert p.index.peer_for_token("old") == peer.id  # tokens kept when omitted

    rerouted = await p.peers.update(
        UpdatePeer(id=peer.id, routes=[], incoming_tokens=["new"], name=None)
    )
    assert not isinstance(rerouted, PeerError)
    assert rerouted.routes == ("test.robert",)
    assert rerouted.name is None
    assert p.routing.next_hop("g.far") is None
    assert p.index.peer_for_token("old") is None
    assert p.index.peer_for_token("new") == peer.id


async def test_update_errors_change_nothing() -> None:
    p = make_peering()
    usd = await _asset(p)
    bob = await _peer(p, usd, incoming_tokens=["b"])
    carol = await _peer(p, usd, static_ilp_address="test.carol", incoming_tokens=["c"])
    before = dict(p.store.state.peers), dict(p.store.state.tokens)
    assert await p.peers.update(UpdatePeer(id=uuid4())) is PeerError.UnknownPeer
    assert await p.peers.update(UpdatePeer(id="x")) is PeerError.UnknownPeer
    clash = UpdatePeer(id=carol.id, static_ilp_address="test.bob")
    assert await p.peers.update(clash) is PeerError.DuplicatePeer
    steal = UpdatePeer(id=carol.id, incoming_tokens=["b"])
    assert await p.peers.update(steal) is PeerError.DuplicateIncomingToken
    twice = UpdatePeer(id=carol.id, incoming_tokens=["z", "z"])
    assert await p.peers.update(twice) is PeerError.DuplicateIncomingToken
    bad = UpdatePeer(id=carol.id, http_outgoing=HttpOutgoing(auth_token="", endpoint="ftp://x"))
    assert await p.peers.update(bad) is PeerError.InvalidHTTPEndpoint
    assert (dict(p.store.state.peers), dict(p.store.state.tokens)) == before
    assert p.routing.next_hop("test.carol") == carol.id
    assert p.index.peer_for_token("b") == bob.id


async def test_delete_removes_routes_and_tokens_but_not_the_account() -> None:
    p = make_peering()
    usd = await _asset(p)
    peer = await _peer(p, usd, incoming_tokens=["t"])
    assert await p.peers.delete(peer.id) is None
    assert await p.peers.delete(peer.id) is PeerError.UnknownPeer
    assert await p.peers.delete("x") is PeerError.UnknownPeer
    assert await p.peers.get(peer.id) is PeerError.UnknownPeer
    assert p.routing.next_hop("test.bob") is None
    assert p.index.peer_for_token("t") is None
    assert p.directory.get(peer.id) is None
    assert await p.peers.liquidity(peer) == 0


async def test_a_peer_with_liquidity_is_not_deleted() -> None:
    p = make_peering()
    usd = await _asset(p)
    peer = await _peer(p, usd, incoming_tokens=["t"], initial_liquidity=3)
    assert await p.peers.delete(peer.id) is PeerError.CannotDeletePeerWithLiquidity
    assert await p.peers.get(peer.id) == peer
    assert p.routing.next_hop("test.bob") == peer.id
    assert p.index.peer_for_token("t") == peer.id
    assert await p.peers.liquidity(peer) == 3


async def test_peer_by_address_and_asset_is_a_routing_lookup() -> None:
    p = make_peering()
    usd, eur = await _asset(p), await _asset(p, "EUR")
    bob_usd = await _peer(p, usd)
    bob_eur = await _peer(p, eur)
    assert await p.peers.peer_by_address_and_asset("test.bob.sub", usd) == bob_usd
    assert await p.peers.peer_by_address_and_asset("test.bob", str(eur)) == bob_eur
    assert await p.peers.peer_by_address_and_asset("test.alice", usd) is None
    assert await p.peers.peer_by_address_and_asset("test.bob", "x") is None


async def test_load_all_loads_every_peer() -> None:
    p = make_peering()
    usd = await _asset(p)
    ids = [
        (await _peer(p, usd, static_ilp_address=f"test.p{i}", incoming_tokens=[f"t{i}"])).id
        for i in range(25)
    ]
    service = p.fresh_peer_service()
    assert await service.load_all() == 25
    assert p.routing.next_hop("test.p0") == ids[0]
    assert p.index.peer_for_token("t24") == ids[24]


async def test_pages_of_peers() -> None:
    p = make_peering()
    usd = await _asset(p)
    ids = [(await _peer(p, usd, static_ilp_address=f"test.p{i}")).id for i in range(5)]
    first = page_request(first=2)
    assert isinstance(first, PageRequest)
    page = await p.peers.page(first)
    assert [x.id for x in page.items] == [ids[4], ids[3]]  # newest first (DESC)
    assert page.has_next_page
    assert not page.has_previous_page


async def test_update_keeps_the_age_of_unchanged_routes() -> None:
    p = make_peering()
    usd = await _asset(p)
    first = await _peer(
        p, usd, static_ilp_address="test.one", routes=("test.shared",), incoming_tokens=["1"]
    )
    await _peer(
        p, usd, static_ilp_address="test.two", routes=("test.shared",), incoming_tokens=["2"]
    )
    assert p.routing.next_hop("test.shared.x") == first.id  # the oldest route wins
    renamed = await p.peers.update(UpdatePeer(id=first.id, name="renamed"))
    assert not isinstance(renamed, PeerError)
    assert p.routing.next_hop("test.shared.x") == first.id  # still the oldest
