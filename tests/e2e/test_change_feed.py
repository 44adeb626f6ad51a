"""Two real node processes, P1 and P2, on one PostgreSQL database (LEDGER_BACKEND=postgres): every
kind of change made through P1's Admin API takes effect in P2's connector within 1 s, without a
restart, and P2 catches up on what it missed while its feed was down.

    sender ──▶ P1 or P2 (test.node) ──▶ fulfiller (a peer of the node: test.bob…)

P2 is polled for up to `PROPAGATION_SECONDS` after P1's API call returned (the issue's bound;
the feed takes milliseconds). Each test makes peers of its own on the shared pair.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from ilpnode.ilp import (
    Fulfill,
    IlpErrorCode,
    Reject,
    build_ildcp_request,
    decode_ildcp_response,
    decode_reply,
    encode_prepare,
)
from tests.support import migrated_throwaway_database, run_on_server

from .network import Fulfiller, NodeProcess, fulfiller, prepare_to, start_node

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.slow]

PROPAGATION_SECONDS = 1.0
# How long the feed may take to come back after its database allows connections again (its
# back-off is at most 5 s); a bound for a hung test only.
RECOVERY_SECONDS = 15.0


@dataclass
class Pair:
    p1: NodeProcess
    p2: NodeProcess
    url: str
    usd: str
    bob: Fulfiller
    carol: Fulfiller


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    yield from migrated_throwaway_database()


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Pair]:
    tmp = tmp_path_factory.mktemp("feed")
    shared = {"DATABASE_URL": database_url, "LEDGER_BACKEND": "postgres"}
    with fulfiller("bob-token") as bob, fulfiller("carol-token") as carol:
        p1 = start_node(tmp, "p1", "test.node", **shared)
        try:
            p2 = start_node(tmp, "p2", "test.node", **shared)
            try:
                yield Pair(p1, p2, database_url, p1.create_asset("USD", 2), bob, carol)
            finally:
                p2.stop()
        finally:
            p1.stop()
    for node in (p1, p2):
        assert "Traceback" not in node.output(), node.output()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def post(client: httpx.Client, node: NodeProcess, token: str, amount: int, to: str) -> Any:
    """HTTP status 401 (unknown token), or the reply to a Prepare sent with `token`."""
    body = encode_prepare(prepare_to(to, amount))
    response = client.post(
        node.connector_url,
        content=body,
        headers={"authorization": f"Bearer {token}", "content-type": "application/octet-stream"},
    )
    if response.status_code == 401:
        return 401
    assert response.status_code == 200, (response.status_code, response.text)
    return decode_reply(response.content)


def ildcp(client: httpx.Client, node: NodeProcess, token: str) -> tuple[str, str, int] | int:
    """(address, asset code, scale) the node tells the peer of `token`, or 401. Moves no money."""
    request = build_ildcp_request(expires_at=datetime.now(UTC) + timedelta(seconds=30))
    response = client.post(
        node.connector_url,
        content=encode_prepare(request),
        headers={"authorization": f"Bearer {token}", "content-type": "application/octet-stream"},
    )
    if response.status_code == 401:
        return 401
    reply = decode_reply(response.content)
    assert isinstance(reply, Fulfill), reply
    answer = decode_ildcp_response(reply)
    return answer.client_address, answer.asset_code, answer.asset_scale


def soon(check: Callable[[], bool], what: str, seconds: float = PROPAGATION_SECONDS) -> None:
    """Poll `check` for up to `seconds`; fail naming `what` if it never holds."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"P2 did not {what} within {seconds} s")
        time.sleep(0.01)


def fulfilled(reply: Any) -> bool:
    return isinstance(reply, Fulfill)


def rejected(code: IlpErrorCode) -> Callable[[Any], bool]:
    return lambda reply: isinstance(reply, Reject) and reply.code == code


def new_peers(pair: Pair, *, liquidity: int = 1_000) -> tuple[str, str, str, str]:
    """A sender and a next hop (at bob's fulfiller) made through P1. Returns (sender id, its
    token, the next hop's id, its address)."""
    tag = uuid.uuid4().hex[:8]
    token, address = f"s-{tag}", f"test.bob{tag}"
    sender = pair.p1.create_peer(
        asset_id=pair.usd,
        address=f"test.sender{tag}",
        incoming_token=token,
        outgoing_token="unused",
        endpoint="http://127.0.0.1:9/unused",
        liquidity=liquidity,
    )
    hop = pair.p1.create_peer(
        asset_id=pair.usd,
        address=address,
        incoming_token=f"b-{tag}",
        outgoing_token="bob-token",
        endpoint=pair.bob.url,
    )
    return sender, token, hop, address


def update_peer(node: NodeProcess, peer_id: str, **fields: Any) -> None:
    data = node.graphql(
        "mutation($i: UpdatePeerInput!) { updatePeer(input: $i) { peer { id } } }",
        {"i": {"id": peer_id, **fields}},
    )
    assert data["updatePeer"]["peer"]["id"] == peer_id


def test_a_peer_created_on_p1_is_served_by_p2(pair: Pair, client: httpx.Client) -> None:
    _, token, _, address = new_peers(pair)

    before = pair.bob.count()

    # 401 while the sender is unknown, F02 while the next hop is: neither moves money.
    soon(lambda: fulfilled(post(client, pair.p2, token, 10, f"{address}.x")), "forward")
    assert pair.bob.count() == before + 1
    assert ildcp(client, pair.p2, token) == (f"test.sender{token[2:]}", "USD", 2)


def test_a_rotated_incoming_token(pair: Pair, client: httpx.Client) -> None:
    sender, old, _, _ = new_peers(pair)
    soon(lambda: ildcp(client, pair.p2, old) != 401, "accept the sender")
    new = f"{old}-rotated"
    outgoing = {"authToken": "unused", "endpoint": "http://127.0.0.1:9/unused"}
    update_peer(pair.p1, sender, http={"incoming": {"authTokens": [new]}, "outgoing": outgoing})

    soon(
        lambda: ildcp(client, pair.p2, new) != 401 and ildcp(client, pair.p2, old) == 401,
        "swap the old token for the new",
    )


def test_new_routes(pair: Pair, client: httpx.Client) -> None:
    _, token, hop, _ = new_peers(pair)
    far = f"test.far{uuid.uuid4().hex[:8]}"
    soon(lambda: ildcp(client, pair.p2, token) != 401, "accept the sender")
    assert rejected(IlpErrorCode.F02_UNREACHABLE)(post(client, pair.p2, token, 1, f"{far}.x"))
    update_peer(pair.p1, hop, routes=[far])

    soon(lambda: fulfilled(post(client, pair.p2, token, 1, f"{far}.x")), "route the new prefix")


def test_a_new_endpoint_outgoing_token_and_max_packet_amount(
    pair: Pair, client: httpx.Client
) -> None:
    sender, token, hop, address = new_peers(pair)
    soon(lambda: fulfilled(post(client, pair.p2, token, 10, f"{address}.x")), "forward to bob")
    update_peer(
        pair.p1, hop, http={"outgoing": {"authToken": "carol-token", "endpoint": pair.carol.url}}
    )
    update_peer(pair.p1, sender, maxPacketAmount="5")

    before = pair.carol.count()
    soon(lambda: fulfilled(post(client, pair.p2, token, 5, f"{address}.x")), "forward to carol")
    assert pair.carol.count() > before  # the new endpoint, with the new token (or carol says 401)
    soon(
        lambda: rejected(IlpErrorCode.F08_AMOUNT_TOO_LARGE)(
            post(client, pair.p2, token, 6, f"{address}.x")
        ),
        "apply the sender's new maximum packet amount",
    )


def test_a_deleted_peer(pair: Pair, client: httpx.Client) -> None:
    sender, token, _, _ = new_peers(pair, liquidity=0)
    soon(lambda: ildcp(client, pair.p2, token) != 401, "accept the sender")
    data = pair.p1.graphql(
        "mutation($i: DeletePeerInput!) { deletePeer(input: $i) { success } }",
        {"i": {"id": sender}},
    )
    assert data["deletePeer"]["success"] is True

    soon(lambda: ildcp(client, pair.p2, token) == 401, "refuse the deleted peer's token")


def test_a_new_asset_and_an_asset_update(pair: Pair, client: httpx.Client) -> None:
    eur = pair.p1.create_asset("EUR", 4)
    token = f"eur-{uuid.uuid4().hex[:8]}"
    address = f"test.euro{token[4:]}"
    pair.p1.create_peer(
        asset_id=eur,
        address=address,
        incoming_token=token,
        outgoing_token="unused",
        endpoint="http://127.0.0.1:9/unused",
    )
    soon(lambda: ildcp(client, pair.p2, token) != 401, "serve the peer of the new asset")
    assert ildcp(client, pair.p2, token) == (address, "EUR", 4)

    pair.p1.graphql(
        "mutation($i: UpdateAssetInput!) { updateAsset(input: $i) { asset { id } } }",
        {"i": {"id": eur, "withdrawalThreshold": "7"}},
    )
    query = "query($id: String!) { asset(id: $id) { withdrawalThreshold } }"
    assert pair.p2.graphql(query, {"id": eur})["asset"]["withdrawalThreshold"] == "7"


def healthz(client: httpx.Client, node: NodeProcess) -> tuple[int, str, str]:
    response = client.get(f"{node.admin_url}/healthz")
    body = response.json()
    return response.status_code, body["status"], body["changeFeed"]


def test_a_killed_feed_comes_back_and_catches_up(pair: Pair, client: httpx.Client) -> None:
    sender, old, _, _ = new_peers(pair)
    soon(lambda: ildcp(client, pair.p2, old) != 401, "accept the sender")
    assert healthz(client, pair.p2) == (200, "ok", "ok")
    name = make_url(pair.url).database
    listener = f"ilpnode change feed pid {pair.p2.process.pid}"
    new = f"{old}-while-down"
    outgoing = {"authToken": "unused", "endpoint": "http://127.0.0.1:9/unused"}
    # Refusing new connections keeps P2's listener away while P1 rotates the token.
    asyncio.run(run_on_server(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
    try:
        asyncio.run(
            run_on_server(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE application_name = '{listener}'"
            )
        )
        soon(lambda: healthz(client, pair.p2)[2] == "down", "say its feed is down", 5)
        assert healthz(client, pair.p2)[:2] == (200, "degraded")  # it keeps serving
        update_peer(pair.p1, sender, http={"incoming": {"authTokens": [new]}, "outgoing": outgoing})
        time.sleep(0.5)
        assert ildcp(client, pair.p2, old) != 401  # what it has: nobody heard the notice
    finally:
        asyncio.run(run_on_server(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'))

    soon(lambda: healthz(client, pair.p2) == (200, "ok", "ok"), "come back", RECOVERY_SECONDS)
    # Caught up before it said "ok".
    assert ildcp(client, pair.p2, new) != 401
    assert ildcp(client, pair.p2, old) == 401
    assert "change feed down" in pair.p2.output()
    assert "change feed listening again: catching up" in pair.p2.output()
