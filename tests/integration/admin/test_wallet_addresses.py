"""Wallet addresses over the Admin API (issue 18): Rafiki's queries and mutations, each error,
the in-memory directory kept in step, and withdrawals of what a wallet address received."""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID, uuid4

import pytest

from ilpnode.accounting import PacketAccounting, PacketTransfer
from ilpnode.bootstrap import Node, build_node
from tests.support import make_settings

from .conftest import GraphQLClient
from .queries import (
    CREATE_WALLET_ADDRESS,
    DELETE_ASSET,
    GET_WALLET_ADDRESS,
    POST_WITHDRAWAL,
    UPDATE_WALLET_ADDRESS,
    VOID_WITHDRAWAL,
    WALLET_ADDRESS_BY_URL,
    WALLET_ADDRESSES,
    WITHDRAW_WALLET_ADDRESS,
)
from .test_assets import create_asset
from .test_peers import create_peer

BASE = "https://wallet.example/pay"


@pytest.fixture
async def node(node_settings: dict[str, Any]) -> AsyncIterator[Node]:
    """A started node whose wallet addresses live under `BASE`."""
    started = build_node(make_settings(**node_settings, open_payments_url=BASE))
    await started.start()
    try:
        yield started
    finally:
        await started.close()


async def create_wallet_address(
    api: GraphQLClient, asset_id: str, address: str = "alice", **extra: Any
) -> dict[str, Any]:
    variables = {"input": {"assetId": asset_id, "address": address, **extra}}
    data = await api.data(CREATE_WALLET_ADDRESS, variables)
    wallet_address: dict[str, Any] = data["createWalletAddress"]["walletAddress"]
    return wallet_address


async def count(api: GraphQLClient) -> int:
    data = await api.data(WALLET_ADDRESSES, {"first": 100})
    return len(data["walletAddresses"]["edges"])


async def test_create_answers_rafikis_shape_and_fills_the_directory(
    api: GraphQLClient, node: Node
) -> None:
    asset = await create_asset(api)
    created = await create_wallet_address(api, asset["id"], "Alice", publicName="Alice Smith")
    assert created["address"] == f"{BASE}/alice"  # lowercase, below the base
    assert created["publicName"] == "Alice Smith"
    assert created["status"] == "ACTIVE"
    assert created["liquidity"] == "0"  # its account exists from the start
    assert created["asset"] == {"id": asset["id"], "code": "USD", "scale": 2}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", created["createdAt"])
    assert (await api.data(GET_WALLET_ADDRESS, {"id": created["id"]}))["walletAddress"] == created
    by_url = await api.data(WALLET_ADDRESS_BY_URL, {"url": f"{BASE.upper()}/ALICE"})
    assert by_url["walletAddressByUrl"] == created
    absent = await api.data(WALLET_ADDRESS_BY_URL, {"url": f"{BASE}/nobody"})
    assert absent == {"walletAddressByUrl": None}

    full = await create_wallet_address(api, asset["id"], f"{BASE}/shop/bob")
    assert full["address"] == f"{BASE}/shop/bob"
    assert full["publicName"] is None

    entry = node.wallet_address_directory.get(UUID(created["id"]))
    assert entry is not None
    assert (entry.url, entry.active, entry.public_name) == (created["address"], True, "Alice Smith")
    assert (entry.asset_code, entry.asset_scale, entry.asset_id) == ("USD", 2, UUID(asset["id"]))
    assert entry.account.account_id == UUID(created["id"]).int
    assert entry.account.asset_account_id == UUID(asset["id"]).int
    assert node.wallet_address_directory.by_payment_tag(UUID(created["id"]).bytes) == entry
    assert node.wallet_address_directory.by_url(f"{BASE}/shop/bob") is not None
    [account] = await node.ledger.lookup_accounts([entry.account.account_id])  # type: ignore[union-attr]
    assert (account.code, account.ledger) == (1, 1)  # LIQUIDITY_WEB_MONETIZATION


@pytest.mark.parametrize(
    "address",
    [
        "https://elsewhere.example/pay/alice",  # another host
        "http://wallet.example/pay/alice",  # another scheme
        "https://wallet.example:8443/pay/alice",  # another port
        "https://wallet.example/payroll/alice",  # not below the base path
        "https://wallet.example/pay",  # the base itself
        f"{BASE}/",
        "",
        "/",
        "alice/",  # a trailing slash
        "a//b",
        "alice/../bob",
        "./alice",
        "alice?x=1",
        f"{BASE}/alice#top",
        "https://user:pw@wallet.example/pay/alice",
        "al%20ice",
        "al ice",
        "alïce",
        "alice/incoming-payments",
        "quotes",
        "x" * 2100,
    ],
)
async def test_an_address_outside_open_payments_url_is_invalid(
    api: GraphQLClient, address: str
) -> None:
    asset = await create_asset(api)
    variables = {"input": {"assetId": asset["id"], "address": address}}
    assert await api.error(CREATE_WALLET_ADDRESS, variables) == ("BAD_USER_INPUT", "invalid url")
    assert await count(api) == 0


async def test_each_create_error_writes_nothing(api: GraphQLClient, node: Node) -> None:
    asset = await create_asset(api)
    await create_wallet_address(api, asset["id"], "alice")

    def create(**fields: Any) -> dict[str, Any]:
        return {"input": {"assetId": asset["id"], "address": "carol", **fields}}

    assert await api.error(CREATE_WALLET_ADDRESS, create(address="ALICE")) == (
        "DUPLICATE",
        "Duplicate wallet address found with the same url",
    )
    for asset_id in (str(uuid4()), "not-a-uuid"):
        assert await api.error(CREATE_WALLET_ADDRESS, create(assetId=asset_id)) == (
            "BAD_USER_INPUT",
            "unknown asset",
        )
    for name in ("x" * 256, "tab\there", "bell\x07"):
        assert await api.error(CREATE_WALLET_ADDRESS, create(publicName=name)) == (
            "BAD_USER_INPUT",
            "invalid public name",
        )
    assert await api.error(CREATE_WALLET_ADDRESS, create(tenantId=str(uuid4()))) == (
        "BAD_USER_INPUT",
        "Assignment to the specified tenant is not permitted",
    )
    deleted = await create_asset(api, "EUR", 2)
    await api.data(DELETE_ASSET, {"input": {"id": deleted["id"]}})
    assert await api.error(CREATE_WALLET_ADDRESS, create(assetId=deleted["id"])) == (
        "BAD_USER_INPUT",
        "unknown asset",
    )
    assert await count(api) == 1
    assert len(node.wallet_address_directory) == 1
    # The longest name that is allowed, and one of our own tenant.
    ok = await create_wallet_address(
        api,
        asset["id"],
        "dave",
        publicName="é" * 255,
        tenantId=str(node.settings.operator_tenant_id),
    )
    assert ok["publicName"] == "é" * 255


async def test_an_asset_with_a_wallet_address_cannot_be_deleted(api: GraphQLClient) -> None:
    asset = await create_asset(api)
    await create_wallet_address(api, asset["id"])
    assert await api.error(DELETE_ASSET, {"input": {"id": asset["id"]}}) == (
        "FORBIDDEN",
        "Cannot delete! Asset in use.",
    )


async def test_update_public_name_and_status(api: GraphQLClient, node: Node) -> None:
    asset = await create_asset(api)
    created = await create_wallet_address(api, asset["id"], publicName="Alice")
    wallet_id = UUID(created["id"])

    async def update(**fields: Any) -> dict[str, Any]:
        data = await api.data(UPDATE_WALLET_ADDRESS, {"input": {"id": created["id"], **fields}})
        updated: dict[str, Any] = data["updateWalletAddress"]["walletAddress"]
        return updated

    inactive = await update(status="INACTIVE")
    assert (inactive["status"], inactive["publicName"]) == ("INACTIVE", "Alice")  # name kept
    entry = node.wallet_address_directory.get(wallet_id)
    assert entry is not None
    assert entry.active is False
    assert (await update(status="INACTIVE"))["status"] == "INACTIVE"  # again: no change
    renamed = await update(publicName="Alice B.")
    assert (renamed["status"], renamed["publicName"]) == ("INACTIVE", "Alice B.")  # status kept
    active = await update(status="ACTIVE", publicName=None)
    assert (active["status"], active["publicName"]) == ("ACTIVE", None)  # null clears the name
    entry = node.wallet_address_directory.get(wallet_id)
    assert entry is not None
    assert (entry.active, entry.public_name) == (True, None)
    assert (await api.data(GET_WALLET_ADDRESS, {"id": created["id"]}))["walletAddress"] == active
    assert active["address"] == created["address"]  # the address never changes


async def test_update_and_get_errors(api: GraphQLClient) -> None:
    asset = await create_asset(api)
    created = await create_wallet_address(api, asset["id"], publicName="Alice")
    for unknown in (str(uuid4()), "nope"):
        variables = {"input": {"id": unknown, "status": "INACTIVE"}}
        assert await api.error(UPDATE_WALLET_ADDRESS, variables) == (
            "NOT_FOUND",
            "Unknown wallet address",
        )
        assert await api.error(GET_WALLET_ADDRESS, {"id": unknown}) == (
            "NOT_FOUND",
            "unknown wallet address",
        )
    too_long = {"input": {"id": created["id"], "publicName": "x" * 300, "status": "INACTIVE"}}
    assert await api.error(UPDATE_WALLET_ADDRESS, too_long) == (
        "BAD_USER_INPUT",
        "invalid public name",
    )
    bad_status = {"input": {"id": created["id"], "status": "GONE"}}
    code, _ = await api.error(UPDATE_WALLET_ADDRESS, bad_status)
    assert code == "BAD_USER_INPUT"
    fetched = (await api.data(GET_WALLET_ADDRESS, {"id": created["id"]}))["walletAddress"]
    assert (fetched["status"], fetched["publicName"]) == ("ACTIVE", "Alice")  # nothing changed


async def test_relay_pagination(api: GraphQLClient) -> None:
    asset = await create_asset(api)
    ids = [(await create_wallet_address(api, asset["id"], f"w{i}"))["id"] for i in range(5)]
    first = (await api.data(WALLET_ADDRESSES, {"first": 2, "sortOrder": "ASC"}))["walletAddresses"]
    assert [edge["node"]["id"] for edge in first["edges"]] == ids[:2]
    assert first["pageInfo"] == {
        "startCursor": ids[0],
        "endCursor": ids[1],
        "hasNextPage": True,
        "hasPreviousPage": False,
    }
    after = {"first": 10, "after": ids[1], "sortOrder": "ASC"}
    rest = (await api.data(WALLET_ADDRESSES, after))["walletAddresses"]
    assert [edge["node"]["id"] for edge in rest["edges"]] == ids[2:]
    assert rest["pageInfo"]["hasNextPage"] is False
    back = {"last": 2, "before": ids[4], "sortOrder": "ASC"}
    page = (await api.data(WALLET_ADDRESSES, back))["walletAddresses"]
    assert [edge["node"]["id"] for edge in page["edges"]] == ids[2:4]
    newest = (await api.data(WALLET_ADDRESSES, {}))["walletAddresses"]
    assert [edge["node"]["id"] for edge in newest["edges"]] == ids[::-1]  # default DESC
    other = (await api.data(WALLET_ADDRESSES, {"tenantId": str(uuid4())}))["walletAddresses"]
    assert other["edges"] == []
    assert await api.error(WALLET_ADDRESSES, {"last": 2}) == (
        "BAD_USER_INPUT",
        "Can't paginate backwards from the start.",
    )
    assert await api.error(WALLET_ADDRESSES, {"first": 101}) == (
        "BAD_USER_INPUT",
        "Pagination index error",
    )


async def receive(node: Node, peer_id: str, wallet_id: str, amount: int) -> None:
    """Book a packet of `amount` from a peer into the wallet address, as the receiver will:
    the incoming peer's account -> the wallet address's account, reserved then posted."""
    assert node.ledger is not None
    peer = node.directory.get(UUID(peer_id))
    wallet = node.wallet_address_directory.get(UUID(wallet_id))
    assert peer is not None
    assert wallet is not None
    transfer = await PacketAccounting(ledger=node.ledger).create_packet_transfer(
        source=peer.account,
        destination=wallet.account,
        source_amount=amount,
        destination_amount=amount,
        timeout_seconds=30,
    )
    assert isinstance(transfer, PacketTransfer), transfer
    assert await transfer.post() is None


def withdrawal(wallet_id: str, timeout: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "input": {
            "walletAddressId": wallet_id,
            "id": str(uuid4()),
            "idempotencyKey": str(uuid4()),
            "timeoutSeconds": timeout,
            **extra,
        }
    }


async def liquidity(api: GraphQLClient, wallet_id: str) -> str:
    value: str = (await api.data(GET_WALLET_ADDRESS, {"id": wallet_id}))["walletAddress"][
        "liquidity"
    ]
    return value


async def test_withdrawals_of_what_a_wallet_address_received(
    api: GraphQLClient, node: Node
) -> None:
    asset = await create_asset(api)
    peer = await create_peer(api, asset["id"], initialLiquidity="1000")
    wallet = await create_wallet_address(api, asset["id"])
    await receive(node, peer["id"], wallet["id"], 300)
    assert await liquidity(api, wallet["id"]) == "300"

    pending = withdrawal(wallet["id"], timeout=60)
    answer = (await api.data(WITHDRAW_WALLET_ADDRESS, pending))["createWalletAddressWithdrawal"]
    assert answer["withdrawal"] == {
        "id": pending["input"]["id"],
        "amount": "300",
        "walletAddress": {"id": wallet["id"], "address": wallet["address"], "liquidity": "0"},
    }
    void = {"withdrawalId": pending["input"]["id"], "idempotencyKey": str(uuid4())}
    assert await api.data(VOID_WITHDRAWAL, {"input": void}) == {
        "voidLiquidityWithdrawal": {"success": True}
    }
    assert await liquidity(api, wallet["id"]) == "300"

    await receive(node, peer["id"], wallet["id"], 50)
    second = withdrawal(wallet["id"], timeout=60)
    answer = (await api.data(WITHDRAW_WALLET_ADDRESS, second))["createWalletAddressWithdrawal"]
    assert answer["withdrawal"]["amount"] == "350"
    post = {"withdrawalId": second["input"]["id"], "idempotencyKey": str(uuid4())}
    await api.data(POST_WITHDRAWAL, {"input": post})
    assert await liquidity(api, wallet["id"]) == "0"

    await receive(node, peer["id"], wallet["id"], 7)
    instant = (await api.data(WITHDRAW_WALLET_ADDRESS, withdrawal(wallet["id"])))[
        "createWalletAddressWithdrawal"
    ]
    assert instant["withdrawal"]["amount"] == "7"
    assert await liquidity(api, wallet["id"]) == "0"
    # The posted withdrawal is final: it cannot be posted (or voided) again.
    assert await api.error(POST_WITHDRAWAL, {"input": {**post, "idempotencyKey": "again"}}) == (
        "CONFLICT",
        "Transfer already posted",
    )


async def test_withdrawal_errors(api: GraphQLClient, node: Node) -> None:
    asset = await create_asset(api)
    peer = await create_peer(api, asset["id"], initialLiquidity="1000")
    wallet = await create_wallet_address(api, asset["id"])
    assert await api.error(WITHDRAW_WALLET_ADDRESS, withdrawal(wallet["id"])) == (
        "FORBIDDEN",
        "Transfer amount is zero",
    )
    for unknown in (str(uuid4()), "nope"):
        assert await api.error(WITHDRAW_WALLET_ADDRESS, withdrawal(unknown)) == (
            "NOT_FOUND",
            "Unknown wallet address",
        )
    await receive(node, peer["id"], wallet["id"], 10)
    assert await api.error(WITHDRAW_WALLET_ADDRESS, withdrawal(wallet["id"], id="x")) == (
        "BAD_USER_INPUT",
        "Invalid transfer id",
    )
    assert await api.error(WITHDRAW_WALLET_ADDRESS, withdrawal(wallet["id"], timeout=10**12)) == (
        "BAD_USER_INPUT",
        "Invalid transfer timeout provided",
    )
    done = withdrawal(wallet["id"], timeout=60)
    await api.data(WITHDRAW_WALLET_ADDRESS, done)
    await receive(node, peer["id"], wallet["id"], 5)
    reused = withdrawal(wallet["id"], id=done["input"]["id"])
    assert await api.error(WITHDRAW_WALLET_ADDRESS, reused) == (
        "DUPLICATE",
        "Transfer already exists",
    )
    assert await liquidity(api, wallet["id"]) == "5"  # nothing moved by the refusals


async def test_idempotent_replays(api: GraphQLClient, node: Node) -> None:
    asset = await create_asset(api)
    key = str(uuid4())
    variables = {"input": {"assetId": asset["id"], "address": "alice", "idempotencyKey": key}}
    first = await api.data(CREATE_WALLET_ADDRESS, variables)
    again = await api.data(CREATE_WALLET_ADDRESS, variables)
    assert again == first  # replayed, not a duplicate
    assert await count(api) == 1
    peer = await create_peer(api, asset["id"], initialLiquidity="100")
    wallet_id = first["createWalletAddress"]["walletAddress"]["id"]
    await receive(node, peer["id"], wallet_id, 40)
    request = withdrawal(wallet_id)
    answer = await api.data(WITHDRAW_WALLET_ADDRESS, request)
    await receive(node, peer["id"], wallet_id, 1)
    replay = await api.data(WITHDRAW_WALLET_ADDRESS, request)
    replayed = replay["createWalletAddressWithdrawal"]["withdrawal"]
    original = answer["createWalletAddressWithdrawal"]["withdrawal"]
    assert (replayed["id"], replayed["amount"]) == (original["id"], "40")  # replayed, not run
    assert replayed["walletAddress"]["liquidity"] == "1"  # live state is read live (Rafiki)
    assert await liquidity(api, wallet_id) == "1"


async def test_wallet_addresses_and_the_stream_secret_survive_a_restart(
    api: GraphQLClient, node: Node, node_settings: dict[str, Any]
) -> None:
    asset = await create_asset(api)
    created = await create_wallet_address(api, asset["id"])
    await api.data(UPDATE_WALLET_ADDRESS, {"input": {"id": created["id"], "status": "INACTIVE"}})
    assert node.stream_secret is not None
    assert node.stream_secret.source == "database"
    secret = node.stream_secret.value
    await node.close()
    again = build_node(make_settings(**node_settings, open_payments_url=BASE))
    await again.start()
    try:
        entry = again.wallet_address_directory.get(UUID(created["id"]))
        assert entry is not None
        assert (entry.url, entry.active) == (created["address"], False)
        assert again.stream_secret is not None
        assert again.stream_secret.value == secret
    finally:
        await again.close()


async def test_stream_secret_setting_wins(node_settings: dict[str, Any]) -> None:
    configured = bytes(range(32))
    settings = make_settings(**node_settings, stream_secret=base64.b64encode(configured).decode())
    started = build_node(settings)
    await started.start()
    try:
        assert started.stream_secret is not None
        assert (started.stream_secret.value, started.stream_secret.source) == (
            configured,
            "STREAM_SECRET",
        )
        assert "000102" not in repr(started.stream_secret)
    finally:
        await started.close()
