"""Liquidity webhook events over HTTP on SQLite (embedded ledger) and PostgreSQL (shared
ledger): balances moved by the Admin API cross thresholds, the ledger reports them, and
`webhookEvents` lists one event per crossing; `liquidityHighThreshold` and its errors."""

from __future__ import annotations

import asyncio
import re
from typing import Any
from uuid import uuid4

from ilpnode.bootstrap import Node, build_node
from tests.support import make_settings

from .conftest import GraphQLClient
from .queries import (
    ASSET_LIQUIDITY,
    DEPOSIT_ASSET,
    DEPOSIT_PEER,
    GET_PEER,
    UPDATE_PEER,
    WITHDRAW_ASSET,
    WITHDRAW_PEER,
)
from .test_assets import create_asset
from .test_peers import create_peer

WEBHOOK_EVENTS = """
query WebhookEvents(
  $after: String, $before: String, $first: Int, $last: Int, $sortOrder: SortOrder,
  $filter: WebhookEventFilter, $tenantId: String
) {
  webhookEvents(
    after: $after, before: $before, first: $first, last: $last, sortOrder: $sortOrder,
    filter: $filter, tenantId: $tenantId
  ) {
    edges { cursor node { id type data createdAt tenant { id } } }
    pageInfo { startCursor endCursor hasNextPage hasPreviousPage }
  }
}
"""

HIGH_FIELDS = """
mutation($a: CreateAssetInput!) {
  createAsset(input: $a) { asset { id liquidityThreshold liquidityHighThreshold } }
}
"""


def money(**fields: Any) -> dict[str, Any]:
    return {"input": {"id": str(uuid4()), "idempotencyKey": str(uuid4()), **fields}}


async def events(api: GraphQLClient, **variables: Any) -> list[dict[str, Any]]:
    data = await api.data(WEBHOOK_EVENTS, variables)
    return [edge["node"] for edge in data["webhookEvents"]["edges"]]


async def wait_for_events(api: GraphQLClient, count: int) -> list[dict[str, Any]]:
    """The events, newest first, once there are `count` (recorded by the watch's task)."""
    for _ in range(200):
        found = await events(api)
        if len(found) >= count:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"expected {count} events, have {await events(api)}")


async def settled(node: Node) -> None:
    """Wait until the watch has recorded what it queued."""
    assert node.webhooks is not None
    await node.webhooks.watch.flush()


async def test_one_event_per_crossing_of_a_peer(api: GraphQLClient, node: Node) -> None:
    asset = await create_asset(api)
    peer = await create_peer(
        api,
        asset["id"],
        liquidityThreshold="100",
        liquidityHighThreshold="1000",
        initialLiquidity="500",
    )
    assert peer["liquidityThreshold"] == "100"

    for amount in (300, 150, 20):  # 200, 50 (low), 30 (still low)
        await api.data(WITHDRAW_PEER, money(peerId=peer["id"], amount=amount, timeoutSeconds=0))
    [low] = await wait_for_events(api, 1)

    assert low["type"] == "peer.liquidity_low"
    assert low["data"] == {
        "id": peer["id"],
        "asset": {"id": asset["id"], "code": "USD", "scale": 2},
        "liquidityThreshold": "100",
        "balance": "50",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", low["createdAt"])
    assert low["tenant"] == {"id": str(node.settings.operator_tenant_id)}

    await api.data(DEPOSIT_PEER, money(peerId=peer["id"], amount="2000"))  # 2030: high
    await api.data(DEPOSIT_PEER, money(peerId=peer["id"], amount="5"))
    high, _ = await wait_for_events(api, 2)
    await api.data(WITHDRAW_PEER, money(peerId=peer["id"], amount=1_990, timeoutSeconds=0))
    again, *_ = await wait_for_events(api, 3)  # 45: low again
    await settled(node)

    assert high["type"] == "peer.liquidity_high"
    assert high["data"]["balance"] == "2030"
    assert high["data"]["liquidityHighThreshold"] == "1000"
    assert again["type"] == "peer.liquidity_low"
    assert again["data"]["balance"] == "45"
    assert len(await events(api)) == 3


async def test_asset_liquidity_low(api: GraphQLClient, node: Node) -> None:
    asset = await create_asset(api, liquidityThreshold="10")
    await api.data(DEPOSIT_ASSET, money(assetId=asset["id"], amount="100"))
    pending = money(assetId=asset["id"], amount="95", timeoutSeconds=60)
    await api.data(WITHDRAW_ASSET, pending)  # a pending withdrawal reserves: 5

    [event] = await wait_for_events(api, 1)

    assert event["type"] == "asset.liquidity_low"
    assert event["data"] == {
        "id": asset["id"],
        "asset": {"id": asset["id"], "code": "USD", "scale": 2},
        "liquidityThreshold": "10",
        "balance": "5",
    }


async def test_raising_a_threshold_over_the_balance_is_no_event(
    api: GraphQLClient, node: Node
) -> None:
    asset = await create_asset(api)
    peer = await create_peer(api, asset["id"], initialLiquidity="50")
    update = {"id": peer["id"], "liquidityThreshold": "100", "idempotencyKey": str(uuid4())}
    await api.data(UPDATE_PEER, {"input": update})
    await api.data(WITHDRAW_PEER, money(peerId=peer["id"], amount=10, timeoutSeconds=0))
    await settled(node)

    assert await events(api) == []


async def test_filter_sort_and_pagination(api: GraphQLClient, node: Node) -> None:
    asset = await create_asset(api)
    peer = await create_peer(
        api,
        asset["id"],
        liquidityThreshold="10",
        liquidityHighThreshold="100",
        initialLiquidity="5",
    )
    for _ in range(2):  # armed low at 5; then 105 high, 5 low, 105 high, 5 low
        await api.data(DEPOSIT_PEER, money(peerId=peer["id"], amount="100"))
        await settled(node)
        await api.data(WITHDRAW_PEER, money(peerId=peer["id"], amount=100, timeoutSeconds=0))
        await settled(node)
    newest = await wait_for_events(api, 4)
    assert [e["type"] for e in newest] == [
        "peer.liquidity_low",
        "peer.liquidity_high",
        "peer.liquidity_low",
        "peer.liquidity_high",
    ]

    highs = await events(api, filter={"type": {"in": ["peer.liquidity_high"]}})
    not_highs = await events(api, filter={"type": {"notIn": ["peer.liquidity_high"]}})
    oldest = await events(api, sortOrder="ASC")
    page = (await api.data(WEBHOOK_EVENTS, {"first": 3}))["webhookEvents"]
    rest = await events(api, first=3, after=page["pageInfo"]["endCursor"])

    assert [e["id"] for e in highs] == [newest[1]["id"], newest[3]["id"]]
    assert [e["id"] for e in not_highs] == [newest[0]["id"], newest[2]["id"]]
    assert oldest == list(reversed(newest))
    assert [edge["cursor"] for edge in page["edges"]] == [e["id"] for e in newest[:3]]
    assert page["pageInfo"]["hasNextPage"] is True
    assert rest == newest[3:]
    other_tenant = await events(api, tenantId=str(uuid4()))
    assert other_tenant == []
    assert await events(api, tenantId=str(node.settings.operator_tenant_id)) == newest


async def test_pagination_errors(api: GraphQLClient) -> None:
    assert await api.error(WEBHOOK_EVENTS, {"first": 101}) == (
        "BAD_USER_INPUT",
        "Pagination index error",
    )
    assert await api.error(WEBHOOK_EVENTS, {"last": 5}) == (
        "BAD_USER_INPUT",
        "Can't paginate backwards from the start.",
    )
    assert await api.error(WEBHOOK_EVENTS, {"after": "nope"}) == (
        "BAD_USER_INPUT",
        "invalid cursor: 'nope'",
    )
    assert await events(api, after=str(uuid4())) == []  # an unknown cursor: an empty page


async def test_high_threshold_through_the_api(api: GraphQLClient) -> None:
    created = await api.data(
        HIGH_FIELDS, {"a": {"code": "EUR", "scale": 2, "liquidityHighThreshold": "900"}}
    )
    assert created["createAsset"]["asset"]["liquidityHighThreshold"] == "900"
    assert await api.error(
        HIGH_FIELDS,
        {"a": {"code": "USD", "scale": 2, "liquidityThreshold": 5, "liquidityHighThreshold": 5}},
    ) == ("BAD_USER_INPUT", "liquidityHighThreshold must be greater than liquidityThreshold")

    asset = await create_asset(api)
    peer = await create_peer(api, asset["id"], liquidityHighThreshold="70")
    update = {"id": peer["id"], "liquidityThreshold": "70", "idempotencyKey": str(uuid4())}
    assert await api.error(UPDATE_PEER, {"input": update}) == (
        "BAD_USER_INPUT",
        "liquidityHighThreshold must be greater than liquidityThreshold",
    )
    fetched = await api.data(
        GET_PEER.replace("liquidityThreshold", "liquidityThreshold liquidityHighThreshold"),
        {"id": peer["id"]},
    )
    assert fetched["peer"]["liquidityHighThreshold"] == "70"
    assert fetched["peer"]["liquidityThreshold"] is None


async def test_a_crossing_not_recorded_before_a_stop_is_recorded_at_the_next_start(
    node_settings: dict[str, Any],
) -> None:
    node = build_node(make_settings(**node_settings))
    await node.start()
    try:
        api = GraphQLClient(node)
        asset = await create_asset(api)
        peer = await create_peer(api, asset["id"], liquidityThreshold="100", initialLiquidity="500")
        # As if the process died between the ledger's commit and the watch's settle: the
        # ledger no longer reports, and the balance crosses.
        assert node.ledger is not None
        assert node.webhooks is not None
        node.ledger.watch_balances({}, node.webhooks.watch.balances_changed)
        await api.data(WITHDRAW_PEER, money(peerId=peer["id"], amount=450, timeoutSeconds=0))
        await settled(node)
        assert await events(api) == []
    finally:
        await node.close()

    for _ in range(2):  # recorded by the first start, and only by it
        node = build_node(make_settings(**node_settings))
        await node.start()
        try:
            [event] = await events(GraphQLClient(node))
        finally:
            await node.close()

    assert event["type"] == "peer.liquidity_low"
    assert event["data"]["balance"] == "50"


async def test_an_expired_withdrawal_is_a_balance_change_too(
    api: GraphQLClient, node: Node
) -> None:
    asset = await create_asset(api, liquidityThreshold="10")
    await api.data(DEPOSIT_ASSET, money(assetId=asset["id"], amount="100"))
    # Reserved for a second, then released by the ledger's sweeper (no Admin API call).
    await api.data(WITHDRAW_ASSET, money(assetId=asset["id"], amount="95", timeoutSeconds=1))
    await wait_for_events(api, 1)
    for _ in range(100):
        data = await api.data(ASSET_LIQUIDITY, {"id": asset["id"]})
        if data["asset"]["liquidity"] == "100":
            break
        await asyncio.sleep(0.05)
    await settled(node)

    # Had the expiry gone unreported, the account would still count as low: no new event.
    await api.data(WITHDRAW_ASSET, money(assetId=asset["id"], amount="92", timeoutSeconds=0))
    second, first = await wait_for_events(api, 2)

    assert (first["data"]["balance"], second["data"]["balance"]) == ("5", "8")
