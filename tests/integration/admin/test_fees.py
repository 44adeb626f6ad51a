"""Fees over HTTP, on SQLite and PostgreSQL: `setFee`, `Asset.sendingFee`/`receivingFee`/`fees`,
with Rafiki's shapes, validation, codes and messages (`packages/backend/src/fee`)."""

from __future__ import annotations

import re
from typing import Any
from uuid import uuid4

from .conftest import GraphQLClient
from .queries import CREATE_ASSET, DELETE_ASSET
from .test_assets import create_asset

FEE_FIELDS = "id assetId type fixed basisPoints createdAt"

SET_FEE = f"""
mutation SetFee($input: SetFeeInput!) {{ setFee(input: $input) {{ fee {{ {FEE_FIELDS} }} }} }}
"""

FEES_IN_FORCE = f"""
query FeesInForce($id: String!) {{
  asset(id: $id) {{ sendingFee {{ {FEE_FIELDS} }} receivingFee {{ {FEE_FIELDS} }} }}
}}
"""

FEE_HISTORY = """
query FeeHistory(
  $id: String!, $after: String, $before: String, $first: Int, $last: Int, $sortOrder: SortOrder
) {
  asset(id: $id) {
    fees(after: $after, before: $before, first: $first, last: $last, sortOrder: $sortOrder) {
      edges { cursor node { id type fixed basisPoints } }
      pageInfo { startCursor endCursor hasNextPage hasPreviousPage }
    }
  }
}
"""

BASIS_POINTS_MESSAGE = "Basis point fee must be between 0 and 10000"


def fee_input(asset_id: str, fee_type: str = "SENDING", fixed: Any = "100", bp: Any = 50) -> Any:
    return {
        "input": {"assetId": asset_id, "type": fee_type, "fee": {"fixed": fixed, "basisPoints": bp}}
    }


async def set_fee(api: GraphQLClient, asset_id: str, **details: Any) -> dict[str, Any]:
    fee: dict[str, Any] = (await api.data(SET_FEE, fee_input(asset_id, **details)))["setFee"]["fee"]
    return fee


async def history(api: GraphQLClient, asset_id: str, **arguments: Any) -> dict[str, Any]:
    data = await api.data(FEE_HISTORY, {"id": asset_id, **arguments})
    fees: dict[str, Any] = data["asset"]["fees"]
    return fees


async def test_set_fee_answers_rafikis_shape_and_is_in_force(api: GraphQLClient) -> None:
    asset = await create_asset(api)
    before = (await api.data(FEES_IN_FORCE, {"id": asset["id"]}))["asset"]
    assert before == {"sendingFee": None, "receivingFee": None}

    fee = await set_fee(api, asset["id"], fixed="100", bp=50)

    assert fee["assetId"] == asset["id"]
    assert fee["type"] == "SENDING"
    assert fee["fixed"] == "100"  # UInt64 is a string on output
    assert fee["basisPoints"] == 50
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", fee["createdAt"])
    in_force = (await api.data(FEES_IN_FORCE, {"id": asset["id"]}))["asset"]
    assert in_force == {"sendingFee": fee, "receivingFee": None}


async def test_the_newest_fee_of_each_type_is_in_force_and_all_are_kept(
    api: GraphQLClient,
) -> None:
    asset = await create_asset(api)
    first = await set_fee(api, asset["id"], fixed="1", bp=1)
    receiving = await set_fee(api, asset["id"], fee_type="RECEIVING", fixed="2", bp=2)
    second = await set_fee(api, asset["id"], fixed=3, bp=3)  # a number is accepted too

    in_force = (await api.data(FEES_IN_FORCE, {"id": asset["id"]}))["asset"]
    assert in_force["sendingFee"]["id"] == second["id"]
    assert in_force["receivingFee"]["id"] == receiving["id"]
    newest_first = [edge["node"]["id"] for edge in (await history(api, asset["id"]))["edges"]]
    assert newest_first == [second["id"], receiving["id"], first["id"]]
    oldest_first = await history(api, asset["id"], sortOrder="ASC")
    assert [edge["node"]["id"] for edge in oldest_first["edges"]] == newest_first[::-1]


async def test_fees_are_paged_like_every_rafiki_connection(api: GraphQLClient) -> None:
    asset = await create_asset(api)
    ids = [(await set_fee(api, asset["id"], fixed=str(i)))["id"] for i in range(5)]
    newest_first = ids[::-1]

    page = await history(api, asset["id"], first=2)
    assert [edge["node"]["id"] for edge in page["edges"]] == newest_first[:2]
    assert [edge["cursor"] for edge in page["edges"]] == newest_first[:2]
    assert page["pageInfo"] == {
        "startCursor": newest_first[0],
        "endCursor": newest_first[1],
        "hasNextPage": True,
        "hasPreviousPage": False,
    }
    page = await history(api, asset["id"], first=2, after=newest_first[1])
    assert [edge["node"]["id"] for edge in page["edges"]] == newest_first[2:4]
    assert (page["pageInfo"]["hasNextPage"], page["pageInfo"]["hasPreviousPage"]) == (True, True)
    page = await history(api, asset["id"], last=2, before=newest_first[4])
    assert [edge["node"]["id"] for edge in page["edges"]] == newest_first[2:4]
    page = await history(api, asset["id"], after=newest_first[4])
    assert page["edges"] == []
    assert page["pageInfo"]["hasNextPage"] is False


async def test_paging_errors(api: GraphQLClient) -> None:
    asset = await create_asset(api)
    other = await create_asset(api, "EUR")
    foreign = await set_fee(api, other["id"])
    await set_fee(api, asset["id"])
    variables = {"id": asset["id"]}
    assert await api.error(FEE_HISTORY, {**variables, "first": 101}) == (
        "BAD_USER_INPUT",
        "Pagination index error",
    )
    assert await api.error(FEE_HISTORY, {**variables, "last": 2}) == (
        "BAD_USER_INPUT",
        "Can't paginate backwards from the start.",
    )
    code, _ = await api.error(FEE_HISTORY, {**variables, "after": "not-a-cursor"})
    assert code == "BAD_USER_INPUT"
    # another asset's fee is no cursor here
    assert (await history(api, asset["id"], after=foreign["id"]))["edges"] == []


async def test_each_invalid_fee_is_refused_with_rafikis_answer(api: GraphQLClient) -> None:
    asset = await create_asset(api)
    refused = [
        (fee_input(asset["id"], bp=-1), ("BAD_USER_INPUT", BASIS_POINTS_MESSAGE)),
        (fee_input(asset["id"], bp=10_001), ("BAD_USER_INPUT", BASIS_POINTS_MESSAGE)),
        (fee_input(str(uuid4())), ("NOT_FOUND", "Unknown asset")),
        (fee_input("not-a-uuid"), ("NOT_FOUND", "Unknown asset")),
    ]
    for variables, answer in refused:
        assert await api.error(SET_FEE, variables) == answer, variables
    for fixed in ("-1", -1, str(2**64), "1.5", "ten"):  # the UInt64 scalar refuses these
        code, message = await api.error(SET_FEE, fee_input(asset["id"], fixed=fixed))
        assert code == "BAD_USER_INPUT", fixed
        assert "UInt64" in message
    code, _ = await api.error(SET_FEE, fee_input(asset["id"], fee_type="BOTH"))
    assert code == "BAD_USER_INPUT"
    code, _ = await api.error(SET_FEE, fee_input(asset["id"], bp="5"))  # Int, not a string
    assert code == "BAD_USER_INPUT"
    assert (await history(api, asset["id"]))["edges"] == []  # nothing was written


async def test_the_bounds_are_accepted(api: GraphQLClient) -> None:
    asset = await create_asset(api)
    zero = await set_fee(api, asset["id"], fixed="0", bp=0)
    full = await set_fee(api, asset["id"], fixed=str(2**64 - 1), bp=10_000)
    assert (zero["fixed"], zero["basisPoints"]) == ("0", 0)
    assert (full["fixed"], full["basisPoints"]) == (str(2**64 - 1), 10_000)
    in_force = (await api.data(FEES_IN_FORCE, {"id": asset["id"]}))["asset"]["sendingFee"]
    assert in_force["fixed"] == str(2**64 - 1)


async def test_a_deleted_asset_takes_no_fee_and_gets_its_fees_back(api: GraphQLClient) -> None:
    asset = await create_asset(api)
    fee = await set_fee(api, asset["id"])
    await api.data(DELETE_ASSET, {"input": {"id": asset["id"]}})
    assert await api.error(SET_FEE, fee_input(asset["id"])) == ("NOT_FOUND", "Unknown asset")

    again = await api.data(CREATE_ASSET, {"input": {"code": "USD", "scale": 2}})

    assert again["createAsset"]["asset"]["id"] == asset["id"]
    in_force = (await api.data(FEES_IN_FORCE, {"id": asset["id"]}))["asset"]
    assert in_force["sendingFee"]["id"] == fee["id"]


async def test_an_idempotency_key_replays_the_fee(api: GraphQLClient) -> None:
    asset = await create_asset(api)
    variables = fee_input(asset["id"])
    variables["input"]["idempotencyKey"] = key = str(uuid4())

    first = (await api.data(SET_FEE, variables))["setFee"]["fee"]
    again = (await api.data(SET_FEE, variables))["setFee"]["fee"]

    assert again == first
    assert len((await history(api, asset["id"]))["edges"]) == 1
    other = fee_input(asset["id"], bp=51)
    other["input"]["idempotencyKey"] = key
    code, message = await api.error(SET_FEE, other)
    assert code == "BAD_USER_INPUT"
    assert message.startswith("Incoming arguments are different")
    assert len((await history(api, asset["id"]))["edges"]) == 1


async def test_a_page_of_assets_shows_each_assets_fees(api: GraphQLClient) -> None:
    usd = await create_asset(api)
    eur = await create_asset(api, "EUR")
    await set_fee(api, usd["id"], fixed="7")
    await set_fee(api, eur["id"], fee_type="RECEIVING", fixed="8")
    query = """{ assets(sortOrder: ASC) { edges { node {
      code sendingFee { fixed } receivingFee { fixed } } } } }"""
    nodes = [edge["node"] for edge in (await api.data(query))["assets"]["edges"]]
    assert nodes == [
        {"code": "USD", "sendingFee": {"fixed": "7"}, "receivingFee": None},
        {"code": "EUR", "sendingFee": None, "receivingFee": {"fixed": "8"}},
    ]
