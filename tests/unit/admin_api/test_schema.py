"""The Admin API schema: pinned by a snapshot, and carrying every Rafiki name the issue lists.

To accept an intended schema change: `python -m tests.unit.admin_api.test_schema` rewrites the
snapshot; review its diff like any API change.
"""

from __future__ import annotations

from pathlib import Path

from graphql import GraphQLInputObjectType, GraphQLObjectType, print_schema

from ilpnode.admin.graphql import build_schema

SNAPSHOT = Path(__file__).with_name("schema.snapshot.graphql")

RAFIKI_QUERIES = {
    "asset",
    "assets",
    "assetByCodeAndScale",
    "peer",
    "peers",
    "peerByAddressAndAsset",
    "webhookEvents",
}
RAFIKI_MUTATIONS = {
    "createAsset",
    "updateAsset",
    "deleteAsset",
    "createPeer",
    "updatePeer",
    "deletePeer",
    "depositPeerLiquidity",
    "depositAssetLiquidity",
    "createPeerLiquidityWithdrawal",
    "createAssetLiquidityWithdrawal",
    "postLiquidityWithdrawal",
    "voidLiquidityWithdrawal",
    "createOrUpdatePeerByUrl",
}


def test_schema_matches_the_snapshot() -> None:
    assert print_schema(build_schema()) + "\n" == SNAPSHOT.read_text()


def test_every_listed_operation_is_there() -> None:
    schema = build_schema()
    assert schema.query_type is not None
    assert schema.mutation_type is not None
    assert set(schema.query_type.fields) == RAFIKI_QUERIES
    assert set(schema.mutation_type.fields) == RAFIKI_MUTATIONS


def test_rafikis_object_shapes() -> None:
    schema = build_schema()
    peer = schema.get_type("Peer")
    asset = schema.get_type("Asset")
    assert isinstance(peer, GraphQLObjectType)
    assert isinstance(asset, GraphQLObjectType)
    assert {
        "id",
        "maxPacketAmount",
        "http",
        "asset",
        "staticIlpAddress",
        "name",
        "liquidityThreshold",
        "liquidity",
        "createdAt",
        "routes",
    } <= set(peer.fields)
    assert {
        "id",
        "code",
        "scale",
        "liquidity",
        "withdrawalThreshold",
        "liquidityThreshold",
        "createdAt",
    } <= set(asset.fields)
    assert str(peer.fields["maxPacketAmount"].type) == "UInt64"
    assert str(asset.fields["scale"].type) == "UInt8!"
    # incoming tokens are write-only
    http_outgoing = schema.get_type("HttpOutgoing")
    assert isinstance(http_outgoing, GraphQLObjectType)
    assert set(http_outgoing.fields) == {"authToken", "endpoint"}


def test_rafikis_auto_peering_mutation_shape() -> None:
    schema = build_schema()
    assert schema.mutation_type is not None
    field = schema.mutation_type.fields["createOrUpdatePeerByUrl"]
    assert str(field.type) == "CreateOrUpdatePeerByUrlMutationResponse!"
    assert str(field.args["input"].type) == "CreateOrUpdatePeerByUrlInput!"
    input_type = schema.get_type("CreateOrUpdatePeerByUrlInput")
    assert isinstance(input_type, GraphQLInputObjectType)
    assert {name: str(f.type) for name, f in input_type.fields.items()} == {
        "maxPacketAmount": "UInt64",
        "assetId": "String!",
        "peerUrl": "String!",
        "name": "String",
        "liquidityThreshold": "UInt64",
        "liquidityToDeposit": "UInt64",
        "idempotencyKey": "String",
    }
    response = schema.get_type("CreateOrUpdatePeerByUrlMutationResponse")
    assert isinstance(response, GraphQLObjectType)
    assert {name: str(f.type) for name, f in response.fields.items()} == {"peer": "Peer"}


if __name__ == "__main__":
    SNAPSHOT.write_text(print_schema(build_schema()) + "\n")
