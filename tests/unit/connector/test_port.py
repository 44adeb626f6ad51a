"""The connector port: T03 "the node is not ready" until it is opened and after it is closed;
while open, an authenticated Prepare goes to the pipeline, and a token is its peer's."""

from __future__ import annotations

import httpx

from ilpnode.connector.directory import PeerDirectory
from ilpnode.connector.port import ConnectorPort
from ilpnode.connector.token_index import TokenIndex
from ilpnode.ilp import Fulfill, IlpErrorCode, Reject, decode_reply, encode_prepare
from ilpnode.peer_table import token_hash
from tests.unit.connector.harness import World, make_world

TOKEN = "alice-sends-this"


async def _port(world: World) -> ConnectorPort:
    tokens, directory = TokenIndex(), PeerDirectory()
    alice = world.peers["alice"]
    directory.put(alice)
    tokens.set_tokens(alice.id, [token_hash(TOKEN)])
    return ConnectorPort(tokens=tokens, directory=directory, own_address="test.node")


async def _post(port: ConnectorPort, world: World, token: str = TOKEN) -> httpx.Response:
    body = encode_prepare(world.prepare("test.bob.x", 10))
    transport = httpx.ASGITransport(app=port.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://connector") as client:
        return await client.post(
            "/",
            content=body,
            headers={
                "authorization": f"Bearer {token}",
                "content-type": "application/octet-stream",
            },
        )


async def test_not_ready_until_opened_then_forwards_then_not_ready_once_closed() -> None:
    world = await make_world()
    port = await _port(world)

    before = decode_reply((await _post(port, world)).content)
    port.open(world.connector)
    opened = decode_reply((await _post(port, world)).content)
    connector = port.current()
    port.close()
    after = decode_reply((await _post(port, world)).content)

    for reply in (before, after):
        assert isinstance(reply, Reject)
        assert reply.code == IlpErrorCode.T03_CONNECTOR_BUSY
        assert reply.triggered_by == "test.node"
        assert reply.message == "the node is not ready"
    assert isinstance(opened, Fulfill)
    assert [peer for peer, _ in world.hop.sent] == [world.peers["bob"]]
    assert connector is world.connector
    assert port.current() is None


async def test_an_unknown_token_is_refused_whether_or_not_the_port_is_open() -> None:
    world = await make_world()
    port = await _port(world)

    closed = await _post(port, world, token="nobody")
    port.open(world.connector)
    opened = await _post(port, world, token="nobody")

    assert (closed.status_code, opened.status_code) == (401, 401)
    assert world.hop.sent == []
