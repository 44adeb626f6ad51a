"""The webhook-event operations Rafiki's own clients send (its admin frontend's list page and
its Bruno collection's "Get Webhook Events", as `shared/docs/rafiki-clients.md` records their
variables and selections): they validate against our schema and answer with Rafiki's shapes."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from graphql import parse, validate

from ilpnode.admin.graphql import build_schema
from ilpnode.bootstrap import Node

from .conftest import GraphQLClient
from .queries import WITHDRAW_PEER
from .test_assets import create_asset
from .test_peers import create_peer
from .test_webhooks import wait_for_events

# The frontend's list page: every selection it makes, tenant's public name included.
FRONTEND_LIST = """
query ListWebhookEvents(
  $after: String, $before: String, $first: Int, $last: Int, $filter: WebhookEventFilter
) {
  webhookEvents(after: $after, before: $before, first: $first, last: $last, filter: $filter) {
    edges {
      cursor
      node { id data type createdAt tenant { id publicName } }
    }
    pageInfo { startCursor endCursor hasNextPage hasPreviousPage }
  }
}
"""

# Bruno's request: the same arguments, fewer fields.
BRUNO_GET = """
query WebhookEvents(
  $after: String, $before: String, $first: Int, $last: Int, $filter: WebhookEventFilter
) {
  webhookEvents(after: $after, before: $before, first: $first, last: $last, filter: $filter) {
    edges { cursor node { createdAt data id type } }
  }
}
"""


@pytest.mark.parametrize("document", [FRONTEND_LIST, BRUNO_GET], ids=["frontend", "bruno"])
def test_the_operations_validate_against_our_schema(document: str) -> None:
    assert validate(build_schema(), parse(document)) == []


async def make_an_event(api: GraphQLClient) -> None:
    """A peer crossing its low threshold: one `peer.liquidity_low` event."""
    asset = await create_asset(api)
    peer = await create_peer(api, asset["id"], liquidityThreshold="10", initialLiquidity="100")
    withdrawal = {"peerId": peer["id"], "amount": "95", "timeoutSeconds": 0}
    await api.data(
        WITHDRAW_PEER,
        {"input": {**withdrawal, "id": str(uuid4()), "idempotencyKey": str(uuid4())}},
    )


async def test_the_frontends_list_page(api: GraphQLClient, node: Node) -> None:
    await make_an_event(api)
    [event] = await wait_for_events(api, 1)

    everything = await api.data(FRONTEND_LIST, {})
    typed = await api.data(FRONTEND_LIST, {"filter": {"type": {"in": ["peer.liquidity_low"]}}})
    other = await api.data(
        FRONTEND_LIST, {"filter": {"type": {"in": ["incoming_payment.created"]}}}
    )
    back = await api.data(FRONTEND_LIST, {"before": event["id"]})

    connection: dict[str, Any] = everything["webhookEvents"]
    assert connection["pageInfo"] == {
        "startCursor": event["id"],
        "endCursor": event["id"],
        "hasNextPage": False,
        "hasPreviousPage": False,
    }
    [edge] = connection["edges"]
    assert edge["cursor"] == event["id"]
    assert edge["node"]["type"] == "peer.liquidity_low"
    assert set(edge["node"]["data"]) == {"id", "asset", "liquidityThreshold", "balance"}
    assert edge["node"]["tenant"] == {
        "id": str(node.settings.operator_tenant_id),
        "publicName": node.settings.instance_name,
    }
    assert typed == everything
    assert other["webhookEvents"]["edges"] == []
    assert back["webhookEvents"]["edges"] == []


async def test_brunos_request_with_its_empty_type_list(api: GraphQLClient) -> None:
    await make_an_event(api)
    [event] = await wait_for_events(api, 1)

    # Bruno sends `in: []`: as in Rafiki, an empty list filters nothing out.
    answer = await api.data(BRUNO_GET, {"filter": {"type": {"in": []}}})

    [edge] = answer["webhookEvents"]["edges"]
    assert edge == {
        "cursor": event["id"],
        "node": {
            "createdAt": event["createdAt"],
            "data": event["data"],
            "id": event["id"],
            "type": "peer.liquidity_low",
        },
    }
