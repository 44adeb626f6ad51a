"""Idempotency keys over HTTP: replay, mismatch, concurrency, failures not cached, restarts."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

from ilpnode.bootstrap import build_node
from tests.support import make_settings

from .conftest import GraphQLClient
from .queries import ASSETS, CREATE_ASSET, DEPOSIT_PEER, PEER_LIQUIDITY
from .test_assets import create_asset
from .test_peers import create_peer


async def test_same_key_and_arguments_replay_the_first_answer(api: GraphQLClient) -> None:
    request = {"input": {"code": "USD", "scale": 2, "idempotencyKey": "k-1"}}
    first = await api.data(CREATE_ASSET, request)
    second = await api.data(CREATE_ASSET, request)
    assert second == first
    page = await api.data(ASSETS)
    assert len(page["assets"]["edges"]) == 1


async def test_different_arguments_are_refused(api: GraphQLClient) -> None:
    await api.data(CREATE_ASSET, {"input": {"code": "USD", "scale": 2, "idempotencyKey": "k"}})
    assert await api.error(
        CREATE_ASSET, {"input": {"code": "EUR", "scale": 2, "idempotencyKey": "k"}}
    ) == (
        "BAD_USER_INPUT",
        "Incoming arguments are different than the original request for idempotencyKey: k",
    )
    page = await api.data(ASSETS)
    assert [edge["node"]["code"] for edge in page["assets"]["edges"]] == ["USD"]


async def test_a_failure_is_not_cached(api: GraphQLClient) -> None:
    asset = await create_asset(api)
    peer = await create_peer(api, asset["id"])
    request: dict[str, Any] = {
        "input": {"peerId": str(uuid4()), "amount": "5", "id": str(uuid4()), "idempotencyKey": "d"}
    }
    assert (await api.error(DEPOSIT_PEER, request))[0] == "NOT_FOUND"
    request["input"]["peerId"] = peer["id"]  # fixed: the same key may now run
    assert await api.data(DEPOSIT_PEER, request) == {"depositPeerLiquidity": {"success": True}}
    assert await api.data(DEPOSIT_PEER, request) == {"depositPeerLiquidity": {"success": True}}
    liquidity = await api.data(PEER_LIQUIDITY, {"id": peer["id"]})
    assert liquidity["peer"]["liquidity"] == "5"  # deposited once


async def test_concurrent_use_of_one_key(api: GraphQLClient) -> None:
    asset = await create_asset(api)
    peer = await create_peer(api, asset["id"])
    inputs = [
        {"input": {"peerId": peer["id"], "amount": "7", "id": str(uuid4()), "idempotencyKey": "c"}}
        for _ in range(8)
    ]
    bodies = await asyncio.gather(*(api.query(DEPOSIT_PEER, request) for request in inputs))
    successes = [body for body in bodies if "errors" not in body]
    refusals = [body["errors"][0] for body in bodies if "errors" in body]
    assert len(successes) == 1
    for error in refusals:
        assert error["extensions"]["code"] in {"CONFLICT", "BAD_USER_INPUT"}
        assert error["message"].endswith("idempotencyKey: c")
    liquidity = await api.data(PEER_LIQUIDITY, {"id": peer["id"]})
    assert liquidity["peer"]["liquidity"] == "7"


async def test_replay_survives_a_restart(node_settings: dict[str, Any]) -> None:
    request = {"input": {"code": "USD", "scale": 2, "idempotencyKey": "persisted"}}
    node = build_node(make_settings(**node_settings))
    await node.start()
    try:
        first = await GraphQLClient(node).data(CREATE_ASSET, request)
    finally:
        await node.close()
    node = build_node(make_settings(**node_settings))
    await node.start()
    try:
        assert await GraphQLClient(node).data(CREATE_ASSET, request) == first
    finally:
        await node.close()


async def test_incoming_tokens_are_not_kept_with_the_key(api: GraphQLClient) -> None:
    from sqlalchemy import select

    from ilpnode.storage.schema.admin import idempotency_keys

    asset = await create_asset(api)
    await create_peer(api, asset["id"], idempotencyKey="peer-key-1")
    async with api.node.database.engine.connect() as connection:
        rows = (await connection.execute(select(idempotency_keys))).mappings().all()
    [record] = [row for row in rows if row["key"] == "peer-key-1"]
    assert str(record["arguments"]).startswith("sha256:")
    assert "in-test.bob" not in " ".join(str(value) for value in record.values())
