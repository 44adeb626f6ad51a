"""Outgoing payments over the Admin API (issue 19), on SQLite and PostgreSQL: from an asset's
liquidity and from a wallet address, to wallet addresses on the same node (resolved in memory,
sent through the connector's local chain), fixed send and fixed receive, the sending fee, a rate,
idempotency, and the queries. Errors: `test_outgoing_payment_errors.py`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID, uuid4

import pytest

from ilpnode.accounting import AccountCode, outgoing_payment_account_id
from ilpnode.bootstrap import Node, build_node
from tests.support import make_settings

from .conftest import GraphQLClient
from .payments import (
    BASE,
    GET_PAYMENT,
    LIST_PAYMENTS,
    WALLET_ADDRESS_PAYMENTS,
    deposit,
    finished,
    liquidity,
    refused,
    send,
    set_sending_fee,
    value,
    wallet_address,
)
from .test_assets import create_asset

RATES = '{"USD": {"EUR": "0.9"}}'


@pytest.fixture
async def node(node_settings: dict[str, Any]) -> AsyncIterator[Node]:
    started = build_node(
        make_settings(**node_settings, open_payments_url=BASE, exchange_rates=RATES)
    )
    await started.start()
    try:
        yield started
    finally:
        await started.close()


@pytest.fixture
async def usd(api: GraphQLClient) -> str:
    asset = await create_asset(api, "USD", 2)
    await deposit(api, asset["id"], 1_000_000)
    asset_id: str = asset["id"]
    return asset_id


async def funded_wallet(api: GraphQLClient, asset_id: str, name: str, amount: int) -> str:
    """A wallet address holding `amount`, paid from the asset's liquidity."""
    created = await wallet_address(api, asset_id, name)
    payment = await send(api, assetId=asset_id, receiver=created["address"], debitAmount=amount)
    done = await finished(api, payment["id"])
    assert done["state"] == "COMPLETED", (done["error"], done)
    return str(created["id"])


async def test_the_assets_liquidity_pays_a_wallet_address_here(
    api: GraphQLClient, usd: str, node: Node
) -> None:
    alice = await wallet_address(api, usd, "alice")
    payment = await send(api, assetId=usd, receiver=alice["address"], debitAmount="12345")
    assert payment["state"] in {"SENDING", "COMPLETED"}
    assert payment["walletAddressId"] is None
    assert payment["assetId"] == usd
    assert payment["receiver"] == f"{BASE}/alice"
    assert payment["debitAmount"] == {"value": "12345", "assetCode": "USD", "assetScale": 2}
    assert payment["receiveAmount"]["assetCode"] == "USD"  # learnt from the probe
    done = await finished(api, payment["id"])
    assert done["state"] == "COMPLETED"
    assert done["error"] is None
    assert value(done["sentAmount"]) == value(done["deliveredAmount"]) == 12_345
    assert value(done["debitAmount"]) == 12_345
    assert done["fee"] == {"value": "0", "assetCode": "USD", "assetScale": 2}  # none to itself
    assert done["packets"] >= 1
    assert await liquidity(api, wallet=alice["id"]) == 12_345
    assert await liquidity(api, asset=usd) == 1_000_000 - 12_345
    # The payment's own account (Rafiki's LIQUIDITY_OUTGOING) ends empty.
    account_id = outgoing_payment_account_id(UUID(payment["id"]))
    [account] = await node.ledger.lookup_accounts([account_id])  # type: ignore[union-attr]
    assert account.code == AccountCode.LIQUIDITY_OUTGOING
    assert (account.credits_posted, account.debits_posted, account.debits_pending) == (
        12_345,
        12_345,
        0,
    )


async def test_a_wallet_address_pays_another_and_the_sending_fee_goes_to_the_operator(
    api: GraphQLClient, usd: str
) -> None:
    alice = await funded_wallet(api, usd, "alice", 5_000)
    bob = await wallet_address(api, usd, "bob")
    await set_sending_fee(api, usd, fixed=5, basis_points=100)  # 0.05 + 1 %
    operator_before = await liquidity(api, asset=usd)
    payment = await send(api, walletAddressId=alice, receiver=bob["address"], debitAmount="1000")
    done = await finished(api, payment["id"])
    assert done["state"] == "COMPLETED", (done["error"], done)
    # 985 sent: 985 + 5 + ceil(9.85) = 1000, exactly the debit amount.
    assert value(done["sentAmount"]) == value(done["deliveredAmount"]) == 985
    assert value(done["fee"]) == 15
    assert value(done["debitAmount"]) == 1_000
    assert done["walletAddressId"] == alice
    assert await liquidity(api, wallet=alice) == 4_000
    assert await liquidity(api, wallet=bob["id"]) == 985
    assert await liquidity(api, asset=usd) == operator_before + 15


async def test_a_fixed_receive_delivers_exactly_and_is_debited_sent_plus_fee(
    api: GraphQLClient, usd: str
) -> None:
    alice = await funded_wallet(api, usd, "alice", 5_000)
    bob = await wallet_address(api, usd, "bob")
    await set_sending_fee(api, usd, fixed=3, basis_points=250)
    payment = await send(api, walletAddressId=alice, receiver=bob["address"], receiveAmount=700)
    assert payment["receiveAmount"] == {"value": "700", "assetCode": "USD", "assetScale": 2}
    done = await finished(api, payment["id"])
    assert done["state"] == "COMPLETED", (done["error"], done)
    assert value(done["deliveredAmount"]) == value(done["sentAmount"]) == 700
    assert value(done["fee"]) == 3 + 18  # ceil(700 * 2.5 %) = 18
    assert value(done["debitAmount"]) == 721
    assert await liquidity(api, wallet=alice) == 5_000 - 721
    assert await liquidity(api, wallet=bob["id"]) == 700


async def test_another_asset_arrives_at_the_nodes_rate(api: GraphQLClient, usd: str) -> None:
    alice = await funded_wallet(api, usd, "alice", 5_000)
    eur = await create_asset(api, "EUR", 2)
    await deposit(api, eur["id"], 10_000)  # what the node pays out in EUR for the USD it takes
    carol = await wallet_address(api, eur["id"], "carol")
    payment = await send(api, walletAddressId=alice, receiver=carol["address"], debitAmount="2000")
    assert payment["receiveAmount"]["assetCode"] == "EUR"
    assert value(payment["receiveAmount"]) == 1_800  # the estimate at the probed rate
    done = await finished(api, payment["id"])
    assert done["state"] == "COMPLETED", (done["error"], done)
    assert value(done["sentAmount"]) == 2_000
    assert done["deliveredAmount"] == {"value": "1800", "assetCode": "EUR", "assetScale": 2}
    assert await liquidity(api, wallet=carol["id"]) == 1_800
    assert await liquidity(api, wallet=alice) == 3_000
    assert await liquidity(api, asset=eur["id"]) == 10_000 - 1_800


async def test_a_client_id_makes_the_payment_idempotent(api: GraphQLClient, usd: str) -> None:
    alice = await wallet_address(api, usd, "alice")
    payment_id = str(uuid4())
    first = await send(
        api, id=payment_id, assetId=usd, receiver=alice["address"], debitAmount="300"
    )
    assert first["id"] == payment_id
    await finished(api, payment_id)
    again = await send(api, id=payment_id, assetId=usd, receiver=alice["address"], debitAmount=300)
    assert again["id"] == payment_id
    assert again["state"] == "COMPLETED"
    assert await liquidity(api, wallet=alice["id"]) == 300  # paid once
    code, message = await refused(
        api, id=payment_id, assetId=usd, receiver=alice["address"], debitAmount="301"
    )
    assert (code, message) == (
        "BAD_USER_INPUT",
        f"payment {payment_id} exists, with other input (an id names one payment)",
    )


async def test_an_idempotency_key_replays_the_same_payment(api: GraphQLClient, usd: str) -> None:
    alice = await wallet_address(api, usd, "alice")
    key = str(uuid4())
    first = await send(
        api, idempotencyKey=key, assetId=usd, receiver=alice["address"], debitAmount="250"
    )
    await finished(api, first["id"])
    replay = await send(
        api, idempotencyKey=key, assetId=usd, receiver=alice["address"], debitAmount="250"
    )
    assert replay["id"] == first["id"]
    assert replay["state"] == "COMPLETED"  # read as it is now
    assert await liquidity(api, wallet=alice["id"]) == 250


async def test_the_queries_list_and_filter(api: GraphQLClient, usd: str) -> None:
    alice = await funded_wallet(api, usd, "alice", 1_000)
    bob = await wallet_address(api, usd, "bob")
    from_alice = await send(api, walletAddressId=alice, receiver=bob["address"], debitAmount=100)
    await finished(api, from_alice["id"])
    listed = (await api.data(LIST_PAYMENTS, {"first": 10}))["outgoingPayments"]
    assert len(listed["edges"]) == 2  # alice's funding and alice's payment, newest first
    assert listed["edges"][0]["node"]["id"] == from_alice["id"]
    assert listed["edges"][0]["cursor"] == from_alice["id"]
    assert listed["pageInfo"]["hasNextPage"] is False
    mine = await api.data(LIST_PAYMENTS, {"first": 10, "walletAddressId": alice})
    assert [e["node"]["id"] for e in mine["outgoingPayments"]["edges"]] == [from_alice["id"]]
    other_tenant = await api.data(LIST_PAYMENTS, {"first": 10, "tenantId": str(uuid4())})
    assert other_tenant["outgoingPayments"]["edges"] == []
    not_an_id = await api.data(LIST_PAYMENTS, {"first": 10, "walletAddressId": "nope"})
    assert not_an_id["outgoingPayments"]["edges"] == []
    nested = await api.data(WALLET_ADDRESS_PAYMENTS, {"id": alice})
    assert nested["walletAddress"]["outgoingPayments"]["edges"] == [
        {"node": {"id": from_alice["id"], "state": "COMPLETED"}}
    ]
    assert (await api.data(GET_PAYMENT, {"id": str(uuid4())}))["outgoingPayment"] is None
    assert (await api.data(GET_PAYMENT, {"id": "not-a-uuid"}))["outgoingPayment"] is None
