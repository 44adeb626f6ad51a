"""AutoPeeringService over the fake store, a MemoryLedger and a scripted peer (rafiki-peering §7):
both flows, the token exchange, create-or-update, and every refusal leaving nothing changed."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

import pytest

from ilpnode.services.peering import AssetError, CreateAsset, CreatePeer, HttpOutgoing, PeerError
from ilpnode.services.peering.autopeering import (
    Accepted,
    AutoPeeringError,
    AutoPeeringFailure,
    AutoPeeringService,
    InitiatePeering,
    NodeIdentity,
    PeerAnswer,
    PeeringRequest,
    PeerUnreachable,
    decode_peering_request,
    encode_error,
    encode_peering_details,
    new_token,
    without_user_info,
)

from .fakes import Peering, make_peering

E = AutoPeeringError
URL = "http://bob.example:3005/"
GRANT = 5_000


@dataclass
class ScriptedPeer:
    """A `PeeringClient` answering every POST with `answer(payload)`, recording the payloads."""

    answer: Callable[[Mapping[str, Any]], PeerAnswer | PeerUnreachable]
    sent: list[tuple[str, Mapping[str, Any]]] = field(default_factory=list)

    async def post_json(self, url: str, payload: Mapping[str, Any]) -> PeerAnswer | PeerUnreachable:
        self.sent.append((url, payload))
        return self.answer(payload)


def json_answer(status: int, body: object) -> Callable[[Mapping[str, Any]], PeerAnswer]:
    return lambda _payload: PeerAnswer(status, json.dumps(body).encode())


BOB_DETAILS = {
    "staticIlpAddress": "test.bob",
    "ilpConnectorUrl": "http://bob.example:3002",
    "httpToken": "token-bob-presents",
    "name": "BOB",
    "tenantId": "cf5fd7d3-1eb1-4041-8e43-ba45747e9e5d",
}


def identity(address: str | None = "test.alice", **changes: str | None) -> NodeIdentity:
    values: dict[str, Any] = {
        "ilp_address": address,
        "ilp_connector_url": f"http://{(address or 'x').split('.')[-1]}.example:3002",
        "instance_name": (address or "x").split(".")[-1].upper(),
        "tenant_id": "438fa74a-fa7d-4317-9ced-dde32ece1787",
    }
    values.update(changes)
    return NodeIdentity(**values)


def counting_tokens(prefix: str) -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"{prefix}-{next(counter)}"


@dataclass
class Side:
    peering: Peering
    service: AutoPeeringService
    client: ScriptedPeer
    asset_id: UUID


async def side(
    *,
    address: str = "test.alice",
    answer: Callable[[Mapping[str, Any]], PeerAnswer | PeerUnreachable] | None = None,
    node: NodeIdentity | None = None,
    default_liquidity: int = GRANT,
) -> Side:
    peering = make_peering()
    asset = await peering.assets.create(CreateAsset(code="USD", scale=2))
    assert not isinstance(asset, AssetError)
    client = ScriptedPeer(answer or json_answer(200, BOB_DETAILS))
    service = AutoPeeringService(
        assets=peering.assets,
        peers=peering.peers,
        liquidity=peering.peering_liquidity,
        client=client,
        identity=node or identity(address),
        default_liquidity=default_liquidity,
        token_factory=counting_tokens(address),
    )
    return Side(peering, service, client, asset.id)


def request(**changes: Any) -> PeeringRequest:
    values: dict[str, Any] = {
        "static_ilp_address": "test.alice",
        "ilp_connector_url": "http://alice.example:3002",
        "asset_code": "USD",
        "asset_scale": 2,
        "http_token": "token-alice-presents",
        "max_packet_amount": 1000,
        "name": "ALICE",
    }
    values.update(changes)
    return PeeringRequest(**values)


async def peer_count(s: Side) -> int:
    return len(s.peering.store.state.peers)


# -- accepting ---------------------------------------------------------------------------------


async def test_accept_creates_the_peer_with_the_tokens_and_the_credit_line() -> None:
    bob = await side(address="test.bob")

    accepted = await bob.service.accept(request())

    assert isinstance(accepted, Accepted)
    assert accepted.created
    peer = accepted.peer
    assert (peer.static_ilp_address, peer.name, peer.max_packet_amount) == (
        "test.alice",
        "ALICE",
        1000,
    )
    assert peer.http_outgoing == HttpOutgoing(
        auth_token="test.bob-1", endpoint="http://alice.example:3002"
    )
    assert bob.peering.index.peer_for_token("token-alice-presents") == peer.id
    assert bob.peering.routing.next_hop("test.alice.x") == peer.id
    assert await bob.peering.peers.liquidity(peer) == GRANT
    assert encode_peering_details(accepted.details) == {
        "staticIlpAddress": "test.bob",
        "ilpConnectorUrl": "http://bob.example:3002",
        "httpToken": "test.bob-1",
        "name": "BOB",
        "tenantId": "438fa74a-fa7d-4317-9ced-dde32ece1787",
    }


async def test_accept_again_updates_in_place_and_rotates_both_tokens() -> None:
    bob = await side(address="test.bob")
    first = await bob.service.accept(request())
    assert isinstance(first, Accepted)

    again = await bob.service.accept(
        request(
            http_token="new-token-of-alice",
            ilp_connector_url="http://alice.example:4002",
            max_packet_amount=None,
            name=None,
        )
    )

    assert isinstance(again, Accepted)
    assert not again.created
    assert again.peer.id == first.peer.id
    assert await peer_count(bob) == 1
    assert bob.peering.index.peer_for_token("token-alice-presents") is None
    assert bob.peering.index.peer_for_token("new-token-of-alice") == first.peer.id
    assert again.peer.http_outgoing == HttpOutgoing(
        auth_token="test.bob-2", endpoint="http://alice.example:4002"
    )
    assert again.details.http_token == "test.bob-2"
    # omitted name and limit are kept; no second credit line
    assert (again.peer.name, again.peer.max_packet_amount) == ("ALICE", 1000)
    assert await bob.peering.peers.liquidity(again.peer) == GRANT


async def test_accept_updates_the_exact_peer_not_one_that_routes_the_address() -> None:
    bob = await side(address="test.bob")
    router = await bob.peering.peers.create(
        CreatePeer(
            asset_id=bob.asset_id,
            static_ilp_address="test.hub",
            routes=["test.alice"],
            http_outgoing=HttpOutgoing(auth_token="hub-out", endpoint="http://hub.example"),
            incoming_tokens=["hub-in"],
        )
    )
    assert not isinstance(router, PeerError)

    accepted = await bob.service.accept(request())

    assert isinstance(accepted, Accepted)
    assert accepted.created
    assert accepted.peer.id != router.id
    assert bob.peering.index.peer_for_token("hub-in") == router.id


async def test_accept_with_no_default_liquidity_grants_nothing() -> None:
    bob = await side(address="test.bob", default_liquidity=0)

    accepted = await bob.service.accept(request())

    assert isinstance(accepted, Accepted)
    assert await bob.peering.peers.liquidity(accepted.peer) == 0


@pytest.mark.parametrize(
    ("changes", "error", "field"),
    [
        ({"asset_code": "EUR"}, E.UnknownAsset, "asset"),
        ({"asset_scale": 9}, E.UnknownAsset, "asset"),
        ({"static_ilp_address": "test.bob"}, E.InvalidPeeringRequest, "staticIlpAddress"),
        ({"http_token": "bob-in-use"}, E.InvalidPeeringRequest, "httpToken"),
    ],
)
async def test_accept_refusals_change_nothing(
    changes: dict[str, Any], error: AutoPeeringError, field: str
) -> None:
    bob = await side(address="test.bob")
    other = await bob.peering.peers.create(
        CreatePeer(
            asset_id=bob.asset_id,
            static_ilp_address="test.carol",
            http_outgoing=HttpOutgoing(auth_token="c", endpoint="http://carol.example"),
            incoming_tokens=["bob-in-use"],
        )
    )
    assert not isinstance(other, PeerError)
    before = dict(bob.peering.store.state.peers)

    refused = await bob.service.accept(request(**changes))

    assert isinstance(refused, AutoPeeringFailure)
    assert (refused.error, refused.field) == (error, field)
    assert bob.peering.store.state.peers == before
    assert bob.peering.index.peer_for_token("bob-in-use") == other.id


async def test_accept_needs_a_complete_identity() -> None:
    bob = await side(address="test.bob", node=identity("test.bob", instance_name=None))

    refused = await bob.service.accept(request())

    assert isinstance(refused, AutoPeeringFailure)
    assert refused.error is E.InvalidIlpConfiguration
    assert "INSTANCE_NAME" in refused.detail
    assert await peer_count(bob) == 0


async def test_accept_marks_the_peer_it_creates_as_auto_peered() -> None:
    bob = await side(address="test.bob")

    accepted = await bob.service.accept(request())

    assert isinstance(accepted, Accepted)
    assert accepted.peer.auto_peered
    assert bob.peering.store.state.peers[accepted.peer.id].auto_peered
    again = await bob.service.accept(request(http_token="new-token-of-alice"))
    assert isinstance(again, Accepted)
    assert (again.created, again.peer.id, again.peer.auto_peered) == (False, accepted.peer.id, True)


async def test_accept_refuses_to_take_over_a_peer_made_by_hand_and_changes_nothing() -> None:
    bob = await side(address="test.bob")
    manual = await bob.peering.peers.create(
        CreatePeer(
            asset_id=bob.asset_id,
            static_ilp_address="test.alice",
            http_outgoing=HttpOutgoing(auth_token="manual-out", endpoint="http://alice.internal"),
            incoming_tokens=["manual-in"],
            name="Alice (by hand)",
            initial_liquidity=70,
        )
    )
    assert not isinstance(manual, PeerError)
    assert not manual.auto_peered
    before = dict(bob.peering.store.state.peers)
    tokens_before = dict(bob.peering.store.state.tokens)

    refused = await bob.service.accept(request())

    assert isinstance(refused, AutoPeeringFailure)
    assert (refused.error, refused.field) == (E.PeerNotAutoPeered, "staticIlpAddress")
    assert refused.error.status == 409
    assert "delete that peer or change its static ILP address" in refused.message
    assert encode_error(refused)["error"]["type"] == "PeerNotAutoPeered"
    assert bob.peering.store.state.peers == before
    assert bob.peering.store.state.tokens == tokens_before
    assert bob.peering.index.peer_for_token("manual-in") == manual.id
    assert bob.peering.index.peer_for_token("token-alice-presents") is None
    assert bob.peering.routing.next_hop("test.alice") == manual.id
    assert await bob.peering.peers.liquidity(manual) == 70


# -- initiating --------------------------------------------------------------------------------


async def test_initiate_sends_our_details_and_creates_the_peer_from_the_answer() -> None:
    alice = await side()

    peer = await alice.service.initiate(
        InitiatePeering(
            peer_url=URL,
            asset_id=alice.asset_id,
            max_packet_amount=2000,
            liquidity_threshold=7,
            liquidity_to_deposit=300,
        )
    )

    assert not isinstance(peer, AutoPeeringFailure), peer
    [(url, sent)] = alice.client.sent
    assert url == URL
    assert sent == {
        "staticIlpAddress": "test.alice",
        "ilpConnectorUrl": "http://alice.example:3002",
        "asset": {"code": "USD", "scale": 2},
        "httpToken": "test.alice-1",
        "maxPacketAmount": 2000,
        "name": "ALICE",
    }
    assert (peer.static_ilp_address, peer.name, peer.max_packet_amount) == ("test.bob", "BOB", 2000)
    assert peer.liquidity_threshold == 7
    assert peer.http_outgoing == HttpOutgoing(
        auth_token="test.alice-1", endpoint="http://bob.example:3002"
    )
    assert alice.peering.index.peer_for_token("token-bob-presents") == peer.id
    assert await alice.peering.peers.liquidity(peer) == 300


async def test_initiate_again_updates_and_deposits_again() -> None:
    tokens = iter(["bob-1", "bob-2"])
    alice = await side(
        answer=lambda _p: PeerAnswer(
            200, json.dumps({**BOB_DETAILS, "httpToken": next(tokens)}).encode()
        )
    )
    first = await alice.service.initiate(
        InitiatePeering(peer_url=URL, asset_id=alice.asset_id, liquidity_to_deposit=100)
    )
    assert not isinstance(first, AutoPeeringFailure)

    again = await alice.service.initiate(
        InitiatePeering(
            peer_url=URL, asset_id=alice.asset_id, name="Bob's node", liquidity_to_deposit=50
        )
    )

    assert not isinstance(again, AutoPeeringFailure)
    assert again.id == first.id
    assert again.name == "Bob's node"
    assert again.http_outgoing.auth_token == "test.alice-2"
    assert alice.peering.index.peer_for_token("bob-1") is None
    assert alice.peering.index.peer_for_token("bob-2") == first.id
    assert await alice.peering.peers.liquidity(again) == 150
    assert await peer_count(alice) == 1


async def test_initiate_marks_the_peer_it_creates_as_auto_peered() -> None:
    alice = await side()

    peer = await alice.service.initiate(InitiatePeering(peer_url=URL, asset_id=alice.asset_id))

    assert not isinstance(peer, AutoPeeringFailure)
    assert peer.auto_peered
    assert alice.peering.store.state.peers[peer.id].auto_peered


async def test_initiate_updates_a_peer_made_by_hand_which_stays_one() -> None:
    """The operator calls createOrUpdatePeerByUrl on purpose: it may re-peer any peer."""
    alice = await side()
    manual = await alice.peering.peers.create(
        CreatePeer(
            asset_id=alice.asset_id,
            static_ilp_address="test.bob",
            http_outgoing=HttpOutgoing(auth_token="manual-out", endpoint="http://bob.internal"),
            incoming_tokens=["manual-in"],
        )
    )
    assert not isinstance(manual, PeerError)

    peer = await alice.service.initiate(InitiatePeering(peer_url=URL, asset_id=alice.asset_id))

    assert not isinstance(peer, AutoPeeringFailure), peer
    assert peer.id == manual.id
    assert not peer.auto_peered
    assert peer.http_outgoing == HttpOutgoing(
        auth_token="test.alice-1", endpoint="http://bob.example:3002"
    )
    assert alice.peering.index.peer_for_token("manual-in") is None
    assert alice.peering.index.peer_for_token("token-bob-presents") == manual.id
    assert await peer_count(alice) == 1


async def test_two_services_peer_each_other() -> None:
    """A's request goes through the wire format to B's `accept`, and back."""
    bob = await side(address="test.bob")

    async def through_bob(payload: Mapping[str, Any]) -> PeerAnswer:
        decoded = decode_peering_request(json.dumps(payload).encode())
        assert isinstance(decoded, PeeringRequest)
        result = await bob.service.accept(decoded)
        if isinstance(result, AutoPeeringFailure):
            return PeerAnswer(result.error.status, json.dumps(encode_error(result)).encode())
        return PeerAnswer(200, json.dumps(encode_peering_details(result.details)).encode())

    class Wire:
        async def post_json(self, url: str, payload: Mapping[str, Any]) -> PeerAnswer:
            return await through_bob(payload)

    alice = await side()
    alice_service = AutoPeeringService(
        assets=alice.peering.assets,
        peers=alice.peering.peers,
        liquidity=alice.peering.peering_liquidity,
        client=Wire(),
        identity=identity("test.alice"),
        default_liquidity=GRANT,
    )

    on_alice = await alice_service.initiate(InitiatePeering(peer_url=URL, asset_id=alice.asset_id))

    assert not isinstance(on_alice, AutoPeeringFailure), on_alice
    [on_bob] = bob.peering.store.state.peers.values()
    assert (on_alice.static_ilp_address, on_bob.static_ilp_address) == ("test.bob", "test.alice")
    # each side presents what the other indexes
    assert bob.peering.index.peer_for_token(on_alice.http_outgoing.auth_token) == on_bob.id
    assert alice.peering.index.peer_for_token(on_bob.http_outgoing.auth_token) == on_alice.id
    assert on_alice.http_outgoing.endpoint == "http://bob.example:3002"
    assert on_bob.http_outgoing.endpoint == "http://alice.example:3002"


def _raw(status: int, body: bytes | None) -> Callable[[Mapping[str, Any]], PeerAnswer]:
    return lambda _payload: PeerAnswer(status, body)


@pytest.mark.parametrize(
    ("answer", "error", "detail"),
    [
        (lambda _p: PeerUnreachable("connection refused"), E.InvalidPeerUrl, "cannot reach"),
        (_raw(404, b"Not Found"), E.InvalidPeerUrl, "answered HTTP 404, not an auto-peering"),
        (_raw(200, b"<html></html>"), E.InvalidPeerUrl, "is not JSON"),
        (_raw(200, None), E.InvalidPeerUrl, "too large"),
        (_raw(302, b""), E.InvalidPeerUrl, "HTTP 302"),
        (_raw(401, b""), E.InvalidPeeringRequest, "wants its auto-peering secret"),
        (
            json_answer(
                400, {"error": {"code": 400, "message": "m", "type": "InvalidPeerIlpConfiguration"}}
            ),
            E.InvalidIlpConfiguration,
            'refused this node\'s details (the peer says: "m")',
        ),
        (
            json_answer(
                404, {"error": {"code": 404, "message": "Unknown asset", "type": "UnknownAsset"}}
            ),
            E.PeerUnsupportedAsset,
            "has no asset USD with scale 2",
        ),
        (
            json_answer(
                400, {"error": {"code": 400, "message": "x\x1b", "type": "InvalidPeeringRequest"}}
            ),
            E.InvalidPeeringRequest,
            'refused the request with HTTP 400 InvalidPeeringRequest (the peer says: "x ")',
        ),
        (
            json_answer(
                409, {"error": {"code": 409, "message": "by hand", "type": "PeerNotAutoPeered"}}
            ),
            E.InvalidPeeringRequest,
            'refused the request with HTTP 409 PeerNotAutoPeered (the peer says: "by hand")',
        ),
        (
            json_answer(200, {**BOB_DETAILS, "staticIlpAddress": "nope"}),
            E.InvalidPeerIlpConfiguration,
            "the answer of http://bob.example:3005/: staticIlpAddress 'nope'",
        ),
        (
            json_answer(200, {**BOB_DETAILS, "ilpConnectorUrl": "bob:3002"}),
            E.InvalidPeerIlpConfiguration,
            "ilpConnectorUrl",
        ),
        (
            json_answer(200, {**BOB_DETAILS, "httpToken": None}),
            E.InvalidPeeringRequest,
            "httpToken is missing",
        ),
        (
            json_answer(200, {**BOB_DETAILS, "staticIlpAddress": "test.alice"}),
            E.InvalidPeerIlpConfiguration,
            "this node's own address",
        ),
    ],
)
async def test_initiate_failures_change_nothing(
    answer: Callable[[Mapping[str, Any]], PeerAnswer | PeerUnreachable],
    error: AutoPeeringError,
    detail: str,
) -> None:
    alice = await side(answer=answer)

    failed = await alice.service.initiate(
        InitiatePeering(peer_url=URL, asset_id=alice.asset_id, liquidity_to_deposit=10)
    )

    assert isinstance(failed, AutoPeeringFailure)
    assert failed.error is error
    assert detail in failed.detail
    assert await peer_count(alice) == 0


async def test_initiate_checks_before_calling_the_peer() -> None:
    alice = await side()
    unknown = await alice.service.initiate(InitiatePeering(peer_url=URL, asset_id=uuid4()))
    bad_url = await alice.service.initiate(
        InitiatePeering(peer_url="ftp://bob.example", asset_id=alice.asset_id)
    )
    incomplete = await side(node=identity("test.alice", ilp_connector_url=None))
    no_url = await incomplete.service.initiate(
        InitiatePeering(peer_url=URL, asset_id=incomplete.asset_id)
    )

    assert isinstance(unknown, AutoPeeringFailure)
    assert (unknown.error.code, unknown.error.message) == ("NOT_FOUND", "Unknown asset")
    assert isinstance(bad_url, AutoPeeringFailure)
    assert (bad_url.error, bad_url.field) == (E.InvalidPeerUrl, "peerUrl")
    assert isinstance(no_url, AutoPeeringFailure)
    assert no_url.error is E.InvalidIlpConfiguration
    assert "ILP_CONNECTOR_URL not set" in no_url.detail
    assert alice.client.sent == []
    assert incomplete.client.sent == []


async def test_a_token_clash_on_our_side_is_refused() -> None:
    alice = await side()
    taken = await alice.peering.peers.create(
        CreatePeer(
            asset_id=alice.asset_id,
            static_ilp_address="test.carol",
            http_outgoing=HttpOutgoing(auth_token="c", endpoint="http://carol.example"),
            incoming_tokens=["token-bob-presents"],
        )
    )
    assert not isinstance(taken, PeerError)

    failed = await alice.service.initiate(InitiatePeering(peer_url=URL, asset_id=alice.asset_id))

    assert isinstance(failed, AutoPeeringFailure)
    assert failed.error is E.InvalidPeeringRequest
    assert "httpToken is already the token of another peer" in failed.detail
    assert await peer_count(alice) == 1


async def test_a_failed_deposit_keeps_the_peer_and_says_so() -> None:
    alice = await side()

    failed = await alice.service.initiate(
        InitiatePeering(peer_url=URL, asset_id=alice.asset_id, liquidity_to_deposit=2**64 - 1)
    )
    again = await alice.service.initiate(
        InitiatePeering(peer_url=URL, asset_id=alice.asset_id, liquidity_to_deposit=2**64 - 1)
    )

    assert not isinstance(failed, AutoPeeringFailure)  # 2**64-1 fits once
    assert isinstance(again, AutoPeeringFailure)
    assert (again.error.code, again.error.message) == (
        "INTERNAL_SERVER_ERROR",
        "Could not deposit liquidity to peer",
    )
    assert "was updated, but the deposit" in again.detail
    assert await peer_count(alice) == 1


def test_tokens_are_long_and_urlsafe() -> None:
    token = new_token()
    assert len(token) == 43
    assert token != new_token()
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://bob.example:3005/", "http://bob.example:3005/"),
        ("http://ilpnode:s3cret@bob.example:3005/", "http://***@bob.example:3005/"),
        ("https://:s3cret@bob.example/peer?x=1", "https://***@bob.example/peer?x=1"),
        ("http://[::1", "<unparsable URL>"),
    ],
)
def test_urls_are_shown_without_user_info(url: str, shown: str) -> None:
    assert without_user_info(url) == shown


def test_every_error_has_a_code_a_status_and_a_message() -> None:
    for error in AutoPeeringError:
        assert error.code in {
            "BAD_USER_INPUT",
            "NOT_FOUND",
            "INTERNAL_SERVER_ERROR",
            "UNAUTHENTICATED",
            "DUPLICATE",
        }
        assert 400 <= error.status < 500
        assert error.message
    # Rafiki's catalog (rafiki-peering §2.9), exactly
    assert {
        e.value: (e.code, e.status, e.message)
        for e in AutoPeeringError
        if e.value not in {"Unauthorized", "PeerNotAutoPeered"}  # ilpnode's own
    } == {
        "InvalidIlpConfiguration": (
            "BAD_USER_INPUT",
            400,
            "The ILP configuration is misconfigured",
        ),
        "InvalidPeerIlpConfiguration": (
            "INTERNAL_SERVER_ERROR",
            400,
            "Requested peer's ILP configuration is misconfigured",
        ),
        "UnknownAsset": ("NOT_FOUND", 404, "Unknown asset"),
        "PeerUnsupportedAsset": ("BAD_USER_INPUT", 400, "Peer does not support asset"),
        "InvalidPeerUrl": (
            "NOT_FOUND",
            400,
            "Peer URL is invalid or peer does not support auto-peering",
        ),
        "InvalidPeeringRequest": ("BAD_USER_INPUT", 400, "Invalid peering request"),
        "LiquidityError": ("INTERNAL_SERVER_ERROR", 400, "Could not deposit liquidity to peer"),
    }
