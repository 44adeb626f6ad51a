"""Liquidity mutations over HTTP: deposits, two-phase withdrawals and each documented error."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from .conftest import GraphQLClient
from .queries import (
    ASSET_LIQUIDITY,
    DEPOSIT_ASSET,
    DEPOSIT_PEER,
    PEER_LIQUIDITY,
    POST_WITHDRAWAL,
    VOID_WITHDRAWAL,
    WITHDRAW_ASSET,
    WITHDRAW_PEER,
)
from .test_assets import create_asset
from .test_peers import create_peer


def money(**fields: Any) -> dict[str, Any]:
    return {"input": {"id": str(uuid4()), "idempotencyKey": str(uuid4()), **fields}}


async def peer_liquidity(api: GraphQLClient, peer_id: str) -> str:
    value: str = (await api.data(PEER_LIQUIDITY, {"id": peer_id}))["peer"]["liquidity"]
    return value


async def test_peer_deposit_and_withdrawals(api: GraphQLClient) -> None:
    asset = await create_asset(api)
    peer = await create_peer(api, asset["id"])
    ok = await api.data(DEPOSIT_PEER, money(peerId=peer["id"], amount="10000"))
    assert ok == {"depositPeerLiquidity": {"success": True}}
    assert await peer_liquidity(api, peer["id"]) == "10000"

    pending = money(peerId=peer["id"], amount=2500, timeoutSeconds=60)
    await api.data(WITHDRAW_PEER, pending)
    assert await peer_liquidity(api, peer["id"]) == "7500"
    withdrawal = {"withdrawalId": pending["input"]["id"], "idempotencyKey": str(uuid4())}
    await api.data(POST_WITHDRAWAL, {"input": withdrawal})
    assert await peer_liquidity(api, peer["id"]) == "7500"
    again = {**withdrawal, "idempotencyKey": str(uuid4())}
    assert await api.error(POST_WITHDRAWAL, {"input": again}) == (
        "CONFLICT",
        "Transfer already posted",
    )

    voided = money(peerId=peer["id"], amount=500, timeoutSeconds=60)
    await api.data(WITHDRAW_PEER, voided)
    void = {"withdrawalId": voided["input"]["id"], "idempotencyKey": str(uuid4())}
    await api.data(VOID_WITHDRAWAL, {"input": void})
    assert await peer_liquidity(api, peer["id"]) == "7500"
    assert await api.error(VOID_WITHDRAWAL, {"input": {**void, "idempotencyKey": "k2"}}) == (
        "CONFLICT",
        "Transfer already voided",
    )

    instant = money(peerId=peer["id"], amount=7500, timeoutSeconds=0)
    await api.data(WITHDRAW_PEER, instant)
    assert await peer_liquidity(api, peer["id"]) == "0"


async def test_asset_deposit_and_withdrawal(api: GraphQLClient) -> None:
    asset = await create_asset(api)
    await api.data(DEPOSIT_ASSET, money(assetId=asset["id"], amount=300))
    await api.data(WITHDRAW_ASSET, money(assetId=asset["id"], amount=100, timeoutSeconds=0))
    liquidity = (await api.data(ASSET_LIQUIDITY, {"id": asset["id"]}))["asset"]["liquidity"]
    assert liquidity == "200"
    assert await api.error(
        WITHDRAW_ASSET, money(assetId=asset["id"], amount=201, timeoutSeconds=0)
    ) == ("FORBIDDEN", "Insufficient transfer balance")


async def test_each_documented_error(api: GraphQLClient) -> None:
    asset = await create_asset(api)
    peer = await create_peer(api, asset["id"])
    nobody = str(uuid4())
    assert await api.error(DEPOSIT_PEER, money(peerId=peer["id"], amount=0)) == (
        "FORBIDDEN",
        "Transfer amount is zero",
    )
    assert await api.error(DEPOSIT_PEER, money(peerId=nobody, amount=1)) == (
        "NOT_FOUND",
        "unknown peer",
    )
    assert await api.error(DEPOSIT_ASSET, money(assetId=nobody, amount=1)) == (
        "NOT_FOUND",
        "Unknown asset",
    )
    assert await api.error(WITHDRAW_PEER, money(peerId=nobody, amount=1, timeoutSeconds=0)) == (
        "NOT_FOUND",
        "Unknown peer",
    )
    assert await api.error(WITHDRAW_ASSET, money(assetId=nobody, amount=1, timeoutSeconds=0)) == (
        "NOT_FOUND",
        "Unknown asset",
    )
    bad_id = money(peerId=peer["id"], amount=1)
    bad_id["input"]["id"] = "not-a-uuid"
    assert await api.error(DEPOSIT_PEER, bad_id) == ("BAD_USER_INPUT", "Invalid transfer id")
    reused = money(peerId=peer["id"], amount=1)
    await api.data(DEPOSIT_PEER, reused)
    reused["input"]["idempotencyKey"] = str(uuid4())
    assert await api.error(DEPOSIT_PEER, reused) == ("DUPLICATE", "Transfer already exists")
    assert await api.error(WITHDRAW_PEER, money(peerId=peer["id"], amount=2, timeoutSeconds=0)) == (
        "FORBIDDEN",
        "Insufficient transfer balance",
    )
    unknown = {"withdrawalId": nobody, "idempotencyKey": str(uuid4())}
    assert await api.error(POST_WITHDRAWAL, {"input": unknown}) == (
        "NOT_FOUND",
        "Unknown transfer",
    )
    invalid = {"withdrawalId": "x", "idempotencyKey": str(uuid4())}
    assert await api.error(VOID_WITHDRAWAL, {"input": invalid}) == (
        "BAD_USER_INPUT",
        "Invalid transfer id",
    )
    code, _ = await api.error(DEPOSIT_PEER, money(peerId=peer["id"], amount=str(2**64)))
    assert code == "BAD_USER_INPUT"
    code, _ = await api.error(DEPOSIT_PEER, money(peerId=peer["id"], amount=-5))
    assert code == "BAD_USER_INPUT"
    code, _ = await api.error(DEPOSIT_PEER, money(peerId=peer["id"], amount=1.5))
    assert code == "BAD_USER_INPUT"
    assert await peer_liquidity(api, peer["id"]) == "1"


async def test_transfer_ids_in_non_canonical_forms_are_refused(api: GraphQLClient) -> None:
    """Rafiki accepts only the canonical 8-4-4-4-12 form; Python's UUID() reads more."""
    asset = await create_asset(api)
    peer = await create_peer(api, asset["id"])
    canonical = uuid4()
    for written in (f"{{{canonical}}}", f"urn:uuid:{canonical}", canonical.hex, f" {canonical}"):
        request = money(peerId=peer["id"], amount="100")
        request["input"]["id"] = written
        assert await api.error(DEPOSIT_PEER, request) == ("BAD_USER_INPUT", "Invalid transfer id")
    assert await peer_liquidity(api, peer["id"]) == "0"
    upper = money(peerId=peer["id"], amount="100")
    upper["input"]["id"] = str(canonical).upper()  # either case is canonical
    assert await api.data(DEPOSIT_PEER, upper) == {"depositPeerLiquidity": {"success": True}}
