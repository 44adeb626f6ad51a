"""Asset queries and mutations over HTTP, on SQLite and PostgreSQL (rafiki-peering §2.7-2.9)."""

from __future__ import annotations

import re
from typing import Any
from uuid import uuid4

from .conftest import GraphQLClient
from .queries import (
    ASSET_BY_CODE_AND_SCALE,
    ASSETS,
    CREATE_ASSET,
    CREATE_PEER,
    DELETE_ASSET,
    GET_ASSET,
    UPDATE_ASSET,
)


async def create_asset(
    api: GraphQLClient, code: str = "USD", scale: int = 2, **extra: Any
) -> dict[str, Any]:
    data = await api.data(CREATE_ASSET, {"input": {"code": code, "scale": scale, **extra}})
    asset: dict[str, Any] = data["createAsset"]["asset"]
    return asset


async def test_create_answers_rafikis_shape(api: GraphQLClient) -> None:
    asset = await create_asset(api, withdrawalThreshold="100", liquidityThreshold=5)
    assert asset["code"] == "USD"
    assert asset["scale"] == 2
    assert asset["withdrawalThreshold"] == "100"  # UInt64 is a string on output
    assert asset["liquidityThreshold"] == "5"
    assert asset["liquidity"] == "0"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", asset["createdAt"])
    fetched = await api.data(GET_ASSET, {"id": asset["id"]})
    assert fetched["asset"] == asset


async def test_duplicate_and_invalid_input(api: GraphQLClient) -> None:
    await create_asset(api)
    assert await api.error(CREATE_ASSET, {"input": {"code": "USD", "scale": 2}}) == (
        "DUPLICATE",
        "Asset already exists",
    )
    assert (await api.error(CREATE_ASSET, {"input": {"code": "usd!", "scale": 2}}))[0] == (
        "BAD_USER_INPUT"
    )
    code, message = await api.error(CREATE_ASSET, {"input": {"code": "EUR", "scale": 256}})
    assert code == "BAD_USER_INPUT"
    assert "UInt8" in message
    code, _ = await api.error(
        CREATE_ASSET, {"input": {"code": "EUR", "scale": 2, "withdrawalThreshold": str(2**64)}}
    )
    assert code == "BAD_USER_INPUT"
    code, _ = await api.error(
        CREATE_ASSET, {"input": {"code": "EUR", "scale": 2, "tenantId": str(uuid4())}}
    )
    assert code == "BAD_USER_INPUT"
    page = await api.data(ASSETS)
    assert [edge["node"]["code"] for edge in page["assets"]["edges"]] == ["USD"]


async def test_get_unknown_and_by_code_and_scale(api: GraphQLClient) -> None:
    asset = await create_asset(api)
    assert await api.error(GET_ASSET, {"id": str(uuid4())}) == ("NOT_FOUND", "Asset not found")
    assert await api.error(GET_ASSET, {"id": "not-a-uuid"}) == ("NOT_FOUND", "Asset not found")
    found = await api.data(ASSET_BY_CODE_AND_SCALE, {"code": "USD", "scale": 2})
    assert found["assetByCodeAndScale"]["id"] == asset["id"]
    missing = await api.data(ASSET_BY_CODE_AND_SCALE, {"code": "USD", "scale": 3})
    assert missing["assetByCodeAndScale"] is None


async def test_update_keeps_omitted_threshold_and_clears_null(api: GraphQLClient) -> None:
    asset = await create_asset(api, withdrawalThreshold=10, liquidityThreshold=20)
    data = await api.data(UPDATE_ASSET, {"input": {"id": asset["id"], "withdrawalThreshold": 11}})
    updated = data["updateAsset"]["asset"]
    assert (updated["withdrawalThreshold"], updated["liquidityThreshold"]) == ("11", "20")
    data = await api.data(UPDATE_ASSET, {"input": {"id": asset["id"], "liquidityThreshold": None}})
    updated = data["updateAsset"]["asset"]
    assert (updated["withdrawalThreshold"], updated["liquidityThreshold"]) == ("11", None)
    assert await api.error(UPDATE_ASSET, {"input": {"id": str(uuid4())}}) == (
        "NOT_FOUND",
        "Asset not found",
    )


async def test_delete_unused_refuse_used_and_recreate(api: GraphQLClient) -> None:
    usd = await create_asset(api)
    eur = await create_asset(api, "EUR")
    await api.data(
        CREATE_PEER,
        {
            "input": {
                "assetId": eur["id"],
                "staticIlpAddress": "test.peer",
                "http": {"outgoing": {"authToken": "t", "endpoint": "http://peer.example"}},
            }
        },
    )
    assert await api.error(DELETE_ASSET, {"input": {"id": eur["id"]}}) == (
        "FORBIDDEN",
        "Cannot delete! Asset in use.",
    )
    deleted = await api.data(DELETE_ASSET, {"input": {"id": usd["id"]}})
    assert deleted["deleteAsset"]["asset"]["id"] == usd["id"]
    assert await api.error(GET_ASSET, {"id": usd["id"]}) == ("NOT_FOUND", "Asset not found")
    assert await api.error(DELETE_ASSET, {"input": {"id": usd["id"]}}) == (
        "NOT_FOUND",
        "Asset not found",
    )
    again = await create_asset(api)  # re-activates the deleted asset, as Rafiki
    assert again["id"] == usd["id"]


async def test_pages_forward_and_backward(api: GraphQLClient) -> None:
    codes = [f"C{i:02d}" for i in range(25)]
    for code in codes:
        await create_asset(api, code)
    first = (await api.data(ASSETS, {"first": 10, "sortOrder": "ASC"}))["assets"]
    assert [e["node"]["code"] for e in first["edges"]] == codes[:10]
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    assert first["pageInfo"]["endCursor"] == first["edges"][-1]["cursor"]
    after = first["pageInfo"]["endCursor"]
    second = (await api.data(ASSETS, {"first": 10, "after": after, "sortOrder": "ASC"}))["assets"]
    assert [e["node"]["code"] for e in second["edges"]] == codes[10:20]
    before = second["pageInfo"]["startCursor"]
    back = (await api.data(ASSETS, {"last": 3, "before": before, "sortOrder": "ASC"}))["assets"]
    assert [e["node"]["code"] for e in back["edges"]] == codes[7:10]
    assert back["pageInfo"]["hasPreviousPage"] is True
    newest = (await api.data(ASSETS))["assets"]  # default: DESC, 20
    assert [e["node"]["code"] for e in newest["edges"]] == codes[::-1][:20]


async def test_pagination_errors(api: GraphQLClient) -> None:
    assert await api.error(ASSETS, {"first": 101}) == ("BAD_USER_INPUT", "Pagination index error")
    assert await api.error(ASSETS, {"last": 5}) == (
        "BAD_USER_INPUT",
        "Can't paginate backwards from the start.",
    )
    assert (await api.error(ASSETS, {"after": "nope"}))[0] == "BAD_USER_INPUT"
