"""The signed Admin API's replay guard on a started node: in the database by default, in Redis
with REDIS_URL. When its store fails, a signed request is refused with 503 and not run; it is
accepted again once the store is back. A Redis that is down at start stops the node."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select, text

from ilpnode.admin.signature import signed_body
from ilpnode.bootstrap import Node, StartupError, build_node
from ilpnode.storage.schema.peering import assets
from tests.support import TEST_REDIS_URL, free_port, make_settings, skip_without_redis

from .queries import CREATE_ASSET

SECRET = "s3cret-s3cret-s3cret-s3cret"


async def _send(node: Node, code: str) -> httpx.Response:
    """A freshly signed createAsset for `code`."""
    body = {"query": CREATE_ASSET, "variables": {"input": {"code": code, "scale": 2}}}
    signed = signed_body(body, secret=SECRET, now_ms=int(time.time() * 1000))
    transport = httpx.ASGITransport(app=node.admin_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://admin") as client:
        return await client.post(
            "/graphql",
            content=signed.body,
            headers={"content-type": "application/json", "signature": signed.header},
        )


async def _health(node: Node) -> httpx.Response:
    transport = httpx.ASGITransport(app=node.admin_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://admin") as client:
        return await client.get("/healthz")


async def _asset_codes(node: Node) -> list[str]:
    async with node.database.engine.connect() as connection:
        rows = await connection.execute(select(assets.c.code).order_by(assets.c.code))
    return list(rows.scalars())


async def _rename(node: Node, old: str, new: str) -> None:
    async with node.database.engine.begin() as connection:
        await connection.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))


async def test_a_broken_database_guard_refuses_signed_requests_with_503(
    node_settings: dict[str, Any],
) -> None:
    """The guard's table gone (the rest of the database fine): the request is not run."""
    node = build_node(make_settings(**node_settings, admin_api_secret=SECRET))
    await node.start()
    try:
        assert (await _send(node, "USD")).status_code == 200
        await _rename(node, "admin_signature_replays", "replays_away")
        try:
            refused = await _send(node, "EUR")
        finally:
            await _rename(node, "replays_away", "admin_signature_replays")
        again = await _send(node, "EUR")
        codes = await _asset_codes(node)
    finally:
        await node.close()

    assert refused.status_code == 503
    assert refused.json()["error"] == "unavailable"
    assert refused.json()["reason"].startswith("the database is unreachable")
    assert again.status_code == 200
    assert codes == ["EUR", "USD"]


async def test_the_database_guard_holds_across_nodes_and_restarts(
    node_settings: dict[str, Any],
) -> None:
    """A request accepted by one node is a replay on another on the same database: on
    PostgreSQL two running at once (as two processes), on SQLite the same node restarted (one
    process owns an embedded ledger)."""
    concurrent = node_settings.get("ledger_backend") == "postgres"
    body = {"query": CREATE_ASSET, "variables": {"input": {"code": "USD", "scale": 2}}}
    signed = signed_body(body, secret=SECRET, now_ms=int(time.time() * 1000))
    answers: list[httpx.Response] = []
    nodes: list[Node] = []
    try:
        for _ in range(2):
            if nodes and not concurrent:
                await nodes.pop().close()
            node = build_node(make_settings(**node_settings, admin_api_secret=SECRET))
            nodes.append(node)
            await node.start()
            transport = httpx.ASGITransport(app=node.admin_app)
            async with httpx.AsyncClient(transport=transport, base_url="http://a") as client:
                answers.append(
                    await client.post(
                        "/graphql",
                        content=signed.body,
                        headers={"content-type": "application/json", "signature": signed.header},
                    )
                )
        codes = await _asset_codes(nodes[-1])
        running = len(nodes)
    finally:
        for node in reversed(nodes):
            await node.close()

    assert running == (2 if concurrent else 1)
    assert [answer.status_code for answer in answers] == [200, 401]
    assert answers[1].json()["reason"] == "signature already used"
    assert codes == ["USD"]


# --- Redis ---------------------------------------------------------------------------------------


class TcpProxy:
    """Forwards a loopback port to Redis; `stop` drops it (and every open connection), `start`
    brings it back on the same port: Redis going away and coming back, as the node sees it."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self._writers.update({writer, up_writer})
        await asyncio.gather(
            self._pump(reader, up_writer), self._pump(up_reader, writer), return_exceptions=True
        )

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            self._writers.discard(writer)
            writer.close()


@pytest.fixture
async def redis_proxy() -> AsyncIterator[TcpProxy]:
    skip_without_redis()
    target = urlsplit(TEST_REDIS_URL)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 6379)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.stop()


@pytest.mark.redis
async def test_redis_down_refuses_signed_requests_with_503_then_recovers(
    tmp_path: Path, redis_proxy: TcpProxy
) -> None:
    node = build_node(
        make_settings(
            database_url=f"sqlite:///{tmp_path / 'node.sqlite3'}",
            admin_api_secret=SECRET,
            redis_url=f"redis://127.0.0.1:{redis_proxy.port}/0",
        )
    )
    await node.start()
    try:
        accepted = await _send(node, "USD")
        healthy = await _health(node)
        await redis_proxy.stop()
        refused = await _send(node, "EUR")
        unhealthy = await _health(node)
        await redis_proxy.start()
        again = await _send(node, "EUR")
        recovered = await _health(node)
        codes = await _asset_codes(node)
    finally:
        await node.close()

    assert accepted.status_code == 200
    assert (healthy.status_code, healthy.json()["redis"]) == (200, "ok")
    assert refused.status_code == 503
    assert refused.json() == {
        "error": "unavailable",
        "reason": "Redis is unreachable (ConnectionError): cannot check the signature against "
        "replays, try again later",
    }
    assert (unhealthy.status_code, unhealthy.json()["redis"]) == (503, "unreachable")
    assert again.status_code == 200
    assert (recovered.status_code, recovered.json()["redis"]) == (200, "ok")
    assert codes == ["EUR", "USD"]  # EUR once: the refused request did not run


async def test_redis_down_at_start_stops_the_node(tmp_path: Path) -> None:
    node = build_node(
        make_settings(
            database_url=f"sqlite:///{tmp_path / 'node.sqlite3'}",
            admin_api_secret=SECRET,
            redis_url="redis://:a-redis-password@127.0.0.1:9/0",
        )
    )
    try:
        with pytest.raises(StartupError) as refused:
            await node.start()
    finally:
        await node.close()

    message = str(refused.value)
    assert message.startswith("cannot reach Redis at REDIS_URL=redis://:***@127.0.0.1:9/0")
    assert "a-redis-password" not in message
    assert "start Redis or unset REDIS_URL" in message
