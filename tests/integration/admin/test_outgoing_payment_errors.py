"""sendPayment's refusals over the Admin API, on SQLite and PostgreSQL: each gives a clear error
and debits nothing. Refusals found before the payment's row is written leave no payment; the
ones found by the probe (no rate for the receiver's asset, too little for a fixed receive)
leave it FAILED with the reason, and nothing moved."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import pytest

from ilpnode.bootstrap import Node, build_node
from tests.support import free_port, make_settings

from .conftest import GraphQLClient
from .payments import (
    BASE,
    LIST_PAYMENTS,
    deposit,
    finished,
    liquidity,
    receiver_server,
    refused,
    send,
    set_sending_fee,
    spsp_answer,
    wallet_address,
)
from .test_assets import create_asset

UPDATE_WALLET = """
mutation($i: UpdateWalletAddressInput!) { updateWalletAddress(input: $i) { walletAddress { id } } }
"""


@pytest.fixture
async def node(node_settings: dict[str, Any]) -> AsyncIterator[Node]:
    started = build_node(make_settings(**node_settings, open_payments_url=BASE))
    await started.start()
    try:
        yield started
    finally:
        await started.close()


@pytest.fixture
async def world(api: GraphQLClient) -> dict[str, str]:
    """USD with liquidity; alice holding 1000 (paid from it); bob; nothing else sent."""
    usd = (await create_asset(api, "USD", 2))["id"]
    await deposit(api, usd, 100_000)
    alice = await wallet_address(api, usd, "alice")
    bob = await wallet_address(api, usd, "bob")
    funding = await send(api, assetId=usd, receiver=alice["address"], debitAmount=1_000)
    assert (await finished(api, funding["id"]))["state"] == "COMPLETED"
    return {"usd": usd, "alice": alice["id"], "bob": bob["address"]}


async def payments(api: GraphQLClient) -> list[dict[str, Any]]:
    data = await api.data(LIST_PAYMENTS, {"first": 100})
    return [edge["node"] for edge in data["outgoingPayments"]["edges"]]


async def assert_nothing_moved(api: GraphQLClient, world: dict[str, str]) -> None:
    assert await liquidity(api, wallet=world["alice"]) == 1_000
    assert await liquidity(api, asset=world["usd"]) == 99_000


@pytest.mark.parametrize(
    ("input", "code", "message"),
    [
        (
            {"debitAmount": "0"},
            "BAD_USER_INPUT",
            "invalid amount: debitAmount must be in 1..2**64-1",
        ),
        (
            {"receiveAmount": 0},
            "BAD_USER_INPUT",
            "invalid amount: receiveAmount must be in 1..2**64-1",
        ),
        ({}, "BAD_USER_INPUT", "invalid amount: give debitAmount (fixed send) or receiveAmount"),
        (
            {"debitAmount": 10, "receiveAmount": 10},
            "BAD_USER_INPUT",
            "only one of receiveAmount or debitAmount allowed",
        ),
        ({"debitAmount": 10, "id": "x"}, "BAD_USER_INPUT", "invalid id: a payment's id is a UUID"),
        (
            {"debitAmount": 10, "walletAddressId": None},
            "BAD_USER_INPUT",
            "give exactly one source: walletAddressId or assetId",
        ),
        (
            {"debitAmount": 10, "walletAddressId": str(uuid4())},
            "NOT_FOUND",
            "unknown wallet address",
        ),
        (
            {"debitAmount": 10, "receiver": "wallet.example/bob"},
            "BAD_USER_INPUT",
            "invalid receiver: 'wallet.example/bob' is neither a payment pointer nor an http(s) "
            "URL",
        ),
        (
            {"debitAmount": 10, "receiver": "http://wallet.example/bob"},
            "BAD_USER_INPUT",
            "invalid receiver: 'http://wallet.example/bob': SPSP needs https (plain http only to "
            "a loopback host)",
        ),
        (
            {"debitAmount": 1_001},
            "FORBIDDEN",
            f"Insufficient transfer balance: wallet address {BASE}/alice holds 1000, the payment "
            "needs 1001",
        ),
        (
            {"receiver": f"{BASE}/nobody", "debitAmount": 10},
            "BAD_USER_INPUT",
            "invalid receiver: no such receiver at https://wallet.example/pay/nobody (404: Could "
            "not get wallet address)",
        ),
    ],
)
async def test_bad_input_is_refused_and_leaves_nothing(
    api: GraphQLClient, world: dict[str, str], input: dict[str, Any], code: str, message: str
) -> None:
    request = {"walletAddressId": world["alice"], "receiver": world["bob"], **input}
    request = {key: value for key, value in request.items() if value is not None}
    assert await refused(api, **request) == (code, message)
    await assert_nothing_moved(api, world)
    assert len(await payments(api)) == 1  # alice's funding only


async def test_an_amount_beyond_u64_is_refused_by_the_schema(
    api: GraphQLClient, world: dict[str, str]
) -> None:
    code, message = await refused(
        api, walletAddressId=world["alice"], receiver=world["bob"], debitAmount=str(2**64)
    )
    assert code == "BAD_USER_INPUT"
    assert "UInt64 must be an integer from 0 to 18446744073709551615" in message
    await assert_nothing_moved(api, world)


async def test_an_unknown_asset_and_an_inactive_wallet_address(
    api: GraphQLClient, world: dict[str, str]
) -> None:
    assert await refused(api, assetId=str(uuid4()), receiver=world["bob"], debitAmount=5) == (
        "NOT_FOUND",
        "unknown asset",
    )
    await api.data(UPDATE_WALLET, {"i": {"id": world["alice"], "status": "INACTIVE"}})
    assert await refused(
        api, walletAddressId=world["alice"], receiver=world["bob"], debitAmount=5
    ) == ("INACTIVE", "inactive wallet address")
    await assert_nothing_moved(api, world)


async def test_a_fee_that_the_debit_amount_does_not_cover(
    api: GraphQLClient, world: dict[str, str]
) -> None:
    await set_sending_fee(api, world["usd"], fixed=10, basis_points=0)
    assert await refused(
        api, walletAddressId=world["alice"], receiver=world["bob"], debitAmount=10
    ) == (
        "BAD_USER_INPUT",
        "invalid amount: debitAmount 10 does not cover the sending fee (10 + 0 basis points): "
        "the least payment costs 11",
    )
    await assert_nothing_moved(api, world)


async def test_an_unreachable_receiver(api: GraphQLClient, world: dict[str, str]) -> None:
    receiver = f"http://127.0.0.1:{free_port()}/bob"
    code, message = await refused(
        api, walletAddressId=world["alice"], receiver=receiver, debitAmount=5
    )
    assert code == "BAD_USER_INPUT"
    assert message.startswith(f"invalid receiver: cannot reach {receiver}"), message
    await assert_nothing_moved(api, world)


async def test_a_receiver_that_is_no_spsp_server(api: GraphQLClient, world: dict[str, str]) -> None:
    with receiver_server((200, "text/html", b"<html>hello</html>")) as url:
        code, message = await refused(
            api, walletAddressId=world["alice"], receiver=url, debitAmount=5
        )
    assert (code, message) == (
        "BAD_USER_INPUT",
        f"invalid receiver: {url} answered text/html, not an SPSP answer (JSON)",
    )
    await assert_nothing_moved(api, world)


async def test_no_route_to_the_receivers_address(api: GraphQLClient, world: dict[str, str]) -> None:
    with receiver_server(spsp_answer("test.nowhere.abc")) as url:
        code, message = await refused(
            api, walletAddressId=world["alice"], receiver=url, debitAmount=5
        )
    assert (code, message) == (
        "BAD_USER_INPUT",
        "no route to test.nowhere.abc (the receiver's ILP address)",
    )
    await assert_nothing_moved(api, world)


async def test_a_receiver_in_an_asset_without_a_rate_fails_after_the_probe(
    api: GraphQLClient, world: dict[str, str]
) -> None:
    eur = (await create_asset(api, "EUR", 2))["id"]
    carol = await wallet_address(api, eur, "carol")
    code, message = await refused(
        api, walletAddressId=world["alice"], receiver=carol["address"], debitAmount=5
    )
    assert code == "BAD_USER_INPUT"
    # The local receiver converts USD to EUR itself, and has no rate: the probe learns nothing.
    assert message.startswith("ConnectorError: packet rejected with F07"), message
    await assert_nothing_moved(api, world)
    [failed] = [p for p in await payments(api) if p["state"] == "FAILED"]
    assert failed["walletAddressId"] == world["alice"]


async def test_too_little_for_a_fixed_receive_fails_after_the_probe(
    api: GraphQLClient, world: dict[str, str]
) -> None:
    code, message = await refused(
        api, walletAddressId=world["alice"], receiver=world["bob"], receiveAmount=1_000
    )
    assert code == "FORBIDDEN"
    # 1000 at a minimum rate of 0.99 may need floor((1000 + 1) / 0.99) = 1011.
    assert message == (
        f"Insufficient transfer balance: wallet address {BASE}/alice holds 1000, the payment "
        "needs up to 1011"
    )
    await assert_nothing_moved(api, world)
    [failed] = [p for p in await payments(api) if p["state"] == "FAILED"]
    full = await finished(api, failed["id"])
    assert full["error"] == message
    assert full["sentAmount"]["value"] == full["debitAmount"]["value"] == "0"
    assert full["fee"]["value"] == "0"
