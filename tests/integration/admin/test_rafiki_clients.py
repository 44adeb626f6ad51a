"""Rafiki's own clients against ilpnode, on SQLite and PostgreSQL: every operation its admin
frontend and its Bruno collection send for assets, fees, peers, liquidity, whoami and tenants
(`rafiki_clients.py`) validates against our schema and is answered in Rafiki's shape: each field
selected is there, with the JSON form of its Rafiki type (UInt64 a string of digits, UInt8 and
Int numbers, enums by name), and nothing else is."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    parse,
    specified_rules,
    validate,
)

from ilpnode.admin.graphql import build_schema
from ilpnode.admin.graphql.introspection_limits import IntrospectionLimitRule
from ilpnode.admin.graphql.limits import CostLimitRule, MaxDepthRule

from .conftest import GraphQLClient
from .rafiki_clients import BRUNO, FRONTEND

SCHEMA = build_schema()
ALL = {
    **{f"frontend {k}": v for k, v in FRONTEND.items()},
    **{f"Bruno {k}": v for k, v in BRUNO.items()},
}


@pytest.mark.parametrize("name", sorted(ALL))
def test_every_operation_validates(name: str) -> None:
    rules = [*specified_rules, MaxDepthRule, CostLimitRule, IntrospectionLimitRule]
    assert validate(SCHEMA, parse(ALL[name]), rules) == []


def check_shape(document: str, data: dict[str, Any]) -> None:
    """Every field `document` selects is in `data` with its type's JSON form, and no other."""
    [operation] = [d for d in parse(document).definitions if isinstance(d, OperationDefinitionNode)]
    root = (
        SCHEMA.mutation_type if operation.operation is OperationType.MUTATION else SCHEMA.query_type
    )
    assert root is not None
    _check_object(root, operation.selection_set, data, "")


def _check_object(
    parent: GraphQLObjectType, selections: SelectionSetNode, value: Any, path: str
) -> None:
    assert isinstance(value, dict), path
    keys = []
    for selection in selections.selections:
        assert isinstance(selection, FieldNode)
        key = selection.alias.value if selection.alias else selection.name.value
        keys.append(key)
        field = parent.fields[selection.name.value]
        _check_value(field.type, selection, value[key], f"{path}.{key}")
    assert sorted(value) == sorted(keys), path


def _check_value(type_: GraphQLOutputType, node: FieldNode, value: Any, path: str) -> None:
    if isinstance(type_, GraphQLNonNull):
        assert value is not None, f"{path} is null"
        type_ = type_.of_type
    if value is None:
        return
    if isinstance(type_, GraphQLList):
        assert isinstance(value, list), path
        for index, item in enumerate(value):
            _check_value(type_.of_type, node, item, f"{path}[{index}]")
    elif isinstance(type_, GraphQLObjectType):
        assert node.selection_set is not None
        _check_object(type_, node.selection_set, value, path)
    elif isinstance(type_, GraphQLEnumType):
        assert value in type_.values, path
    else:
        assert isinstance(type_, GraphQLScalarType), path
        _check_scalar(type_.name, value, path)


def _check_scalar(name: str, value: Any, path: str) -> None:
    if name == "UInt64":
        assert isinstance(value, str), path
        assert value.isdecimal(), path
    elif name in ("UInt8", "Int"):
        assert isinstance(value, int), path
        assert not isinstance(value, bool), path
    elif name == "Boolean":
        assert isinstance(value, bool), path
    else:
        assert name in ("String", "ID"), path
        assert isinstance(value, str), path


async def run(api: GraphQLClient, document: str, variables: dict[str, Any] | None = None) -> Any:
    data = await api.data(document, variables)
    check_shape(document, data)
    return data


def key() -> str:
    return str(uuid4())


async def test_the_frontend_manages_assets_fees_and_peers(api: GraphQLClient) -> None:
    f = FRONTEND
    created = await run(
        api,
        f["CreateAssetMutation"],
        {
            "input": {
                "code": "USD",
                "scale": 2,
                "withdrawalThreshold": "10",
                "idempotencyKey": key(),
            }
        },
    )
    asset = created["createAsset"]["asset"]
    assert (asset["code"], asset["scale"], asset["sendingFee"]) == ("USD", 2, None)
    fee_input = {
        "assetId": asset["id"],
        "type": "SENDING",
        "fee": {"fixed": "100", "basisPoints": 50},
    }
    fee = (await run(api, f["SetFeeMutation"], {"input": {**fee_input, "idempotencyKey": key()}}))[
        "setFee"
    ]["fee"]
    assert (fee["assetId"], fee["type"], fee["fixed"], fee["basisPoints"]) == (
        asset["id"],
        "SENDING",
        "100",
        50,
    )
    shown = (await run(api, f["GetAssetQuery"], {"id": asset["id"]}))["asset"]
    assert shown["sendingFee"] == {"basisPoints": 50, "fixed": "100", "createdAt": fee["createdAt"]}
    history = await run(api, f["GetAssetWithFeesQuery"], {"id": asset["id"], "first": 10})
    assert [edge["node"]["id"] for edge in history["asset"]["fees"]["edges"]] == [fee["id"]]
    listed = await run(api, f["ListAssetsQuery"], {"first": 10})
    [node] = [edge["node"] for edge in listed["assets"]["edges"]]
    assert node["tenant"]["id"] == str(api.node.settings.operator_tenant_id)
    updated = await run(
        api,
        f["UpdateAssetMutation"],
        {"input": {"id": asset["id"], "withdrawalThreshold": "20", "idempotencyKey": key()}},
    )
    assert updated["updateAsset"]["asset"]["withdrawalThreshold"] == "20"
    money = {"assetId": asset["id"], "amount": "1000", "id": key(), "idempotencyKey": key()}
    assert await run(api, f["DepositAssetLiquidityMutation"], {"input": money}) == {
        "depositAssetLiquidity": {"success": True}
    }
    out = {**money, "amount": "1000", "id": key(), "idempotencyKey": key(), "timeoutSeconds": 0}
    assert (await run(api, f["WithdrawAssetLiquidity"], {"input": out}))[
        "createAssetLiquidityWithdrawal"
    ]["success"]

    peer_input = {
        "assetId": asset["id"],
        "staticIlpAddress": "test.bob",
        "name": "Bob",
        "maxPacketAmount": "500",
        "http": {
            "incoming": {"authTokens": ["bob-in"]},
            "outgoing": {"authToken": "bob-out", "endpoint": "http://bob.example"},
        },
        "idempotencyKey": key(),
    }
    peer_id = (await run(api, f["CreatePeerMutation"], {"input": peer_input}))["createPeer"][
        "peer"
    ]["id"]
    peer = (await run(api, f["GetPeerQuery"], {"id": peer_id}))["peer"]
    assert peer["asset"] == {
        "id": asset["id"],
        "code": "USD",
        "scale": 2,
        "withdrawalThreshold": "20",
    }
    assert peer["http"] == {"outgoing": {"endpoint": "http://bob.example", "authToken": "bob-out"}}
    peers = await run(api, f["ListPeersQuery"], {"first": 10})
    assert [edge["node"]["id"] for edge in peers["peers"]["edges"]] == [peer_id]
    renamed = {"id": peer_id, "name": "Robert", "idempotencyKey": key()}
    assert (await run(api, f["UpdatePeerMutation"], {"input": renamed}))["updatePeer"]["peer"][
        "id"
    ] == peer_id
    money = {"peerId": peer_id, "amount": "300", "id": key(), "idempotencyKey": key()}
    assert (await run(api, f["DepositPeerLiquidityMutation"], {"input": money}))[
        "depositPeerLiquidity"
    ]["success"]
    out = {**money, "id": key(), "idempotencyKey": key(), "timeoutSeconds": 0}
    assert (await run(api, f["WithdrawPeerLiquidity"], {"input": out}))[
        "createPeerLiquidityWithdrawal"
    ]["success"]
    gone = {"id": peer_id, "idempotencyKey": key()}
    assert (await run(api, f["DeletePeerMutation"], {"input": gone}))["deletePeer"]["success"]
    deleted = await run(
        api, f["DeleteAssetMutation"], {"input": {"id": asset["id"], "idempotencyKey": key()}}
    )
    assert deleted["deleteAsset"]["asset"]["sendingFee"]["fixed"] == "100"


async def test_the_frontend_logs_in_and_reads_the_tenant(api: GraphQLClient) -> None:
    f = FRONTEND
    tenant_id = str(api.node.settings.operator_tenant_id)
    assert await run(api, f["WhoAmI"]) == {"whoami": {"id": tenant_id, "isOperator": True}}
    page = await run(api, f["ListTenantsQuery"], {"first": 20})
    [edge] = page["tenants"]["edges"]
    assert edge["node"]["id"] == tenant_id
    tenant = (await run(api, f["GetTenantQuery"], {"id": tenant_id}))["tenant"]
    assert tenant == edge["node"]
    assert (tenant["apiSecret"], tenant["idpSecret"]) == (None, None)
    refused: list[tuple[str, dict[str, Any]]] = [
        (f["CreateTenantMutation"], {"input": {"apiSecret": "another-secret", "publicName": "X"}}),
        (f["UpdateTenantMutation"], {"input": {"id": tenant_id, "publicName": "X"}}),
        (f["DeleteTenantMutation"], {"id": tenant_id}),
    ]
    for document, variables in refused:
        body = await api.query(document, variables)
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert (await run(api, f["GetTenantQuery"], {"id": tenant_id}))["tenant"] == tenant


async def test_the_bruno_collection(api: GraphQLClient) -> None:
    b = BRUNO
    created = await run(
        api, b["Create Asset"], {"input": {"code": "EUR", "scale": 2, "liquidityThreshold": "5"}}
    )
    asset = created["createAsset"]["asset"]
    assert asset["liquidityThreshold"] == "5"
    for fee_type, fixed in (("SENDING", "1"), ("RECEIVING", "2")):
        fee_input = {
            "assetId": asset["id"],
            "type": fee_type,
            "fee": {"fixed": fixed, "basisPoints": 0},
        }
        await run(api, b["Set Fee"], {"input": fee_input})
    shown = (await run(api, b["Get Asset"], {"id": asset["id"]}))["asset"]
    assert (shown["sendingFee"]["fixed"], shown["receivingFee"]["fixed"]) == ("1", "2")
    assert (shown["sendingFee"]["type"], shown["receivingFee"]["type"]) == ("SENDING", "RECEIVING")
    page = await run(api, b["Get Assets"], {"first": 5})
    assert page["assets"]["edges"][0]["node"]["receivingFee"] == shown["receivingFee"]
    found = await run(api, b["Get Asset By Code And Scale"], {"code": "EUR", "scale": 2})
    assert found["assetByCodeAndScale"] == shown
    await run(api, b["Update Asset"], {"input": {"id": asset["id"], "withdrawalThreshold": "3"}})
    deposit = {"assetId": asset["id"], "amount": "100", "id": key(), "idempotencyKey": key()}
    await run(api, b["Deposit Asset Liquidity"], {"input": deposit})
    withdrawals = []
    for _ in range(2):
        withdrawal = {
            **deposit,
            "amount": "10",
            "id": key(),
            "idempotencyKey": key(),
            "timeoutSeconds": 60,
        }
        await run(api, b["Create Asset Liquidity Withdrawal"], {"input": withdrawal})
        withdrawals.append(withdrawal["id"])
    await run(
        api,
        b["Post Liquidity Withdrawal"],
        {"input": {"withdrawalId": withdrawals[0], "idempotencyKey": key()}},
    )
    await run(
        api,
        b["Void Liquidity Withdrawal"],
        {"input": {"withdrawalId": withdrawals[1], "idempotencyKey": key()}},
    )

    peer_input = {
        "assetId": asset["id"],
        "staticIlpAddress": "test.carol",
        "name": "Carol",
        "liquidityThreshold": "7",
        "http": {
            "incoming": {"authTokens": ["carol-in"]},
            "outgoing": {"authToken": "carol-out", "endpoint": "http://carol.example"},
        },
    }
    peer = (await run(api, b["Create Peer"], {"input": peer_input}))["createPeer"]["peer"]
    assert peer["asset"]["code"] == "EUR"
    by_id = (await run(api, b["Get Peer"].replace("{peer_id}", peer["id"])))["peer"]
    assert (by_id["liquidity"], by_id["liquidityThreshold"]) == ("0", "7")
    listed = await run(api, b["Get Peers"])
    assert listed["peers"]["edges"][0]["cursor"] == peer["id"]
    found = await run(
        api,
        b["Get Peer By Address and Asset Id"],
        {"address": "test.carol", "assetId": asset["id"]},
    )
    assert found["peerByAddressAndAsset"] == by_id
    await run(api, b["Update Peer"], {"input": {"id": peer["id"], "liquidityThreshold": "8"}})
    money = {"peerId": peer["id"], "amount": "50", "id": key(), "idempotencyKey": key()}
    await run(api, b["Deposit Peer Liquidity"], {"input": money})
    out = {**money, "id": key(), "idempotencyKey": key(), "timeoutSeconds": 0}
    await run(api, b["Create Peer Liquidity Withdrawal"], {"input": out})
    await run(api, b["Delete Peer"], {"input": {"id": peer["id"]}})
    tenants = await run(api, b["Get Tenants"])
    assert tenants["tenants"]["edges"][0]["node"]["apiSecret"] is None

    # This node has no ILP_CONNECTOR_URL to announce: Rafiki's error, in Rafiki's shape.
    by_url = {"assetId": asset["id"], "peerUrl": "http://127.0.0.1:9/"}
    body = await api.query(b["Create Or Update Peer By Url"], {"input": by_url})
    assert body["data"] is None
    [error] = body["errors"]
    assert (error["path"], error["extensions"]["code"]) == (
        ["createOrUpdatePeerByUrl"],
        "BAD_USER_INPUT",
    )
    assert error["message"].startswith("The ILP configuration is misconfigured")
    await run(api, b["Delete Asset"], {"input": {"id": asset["id"]}})
