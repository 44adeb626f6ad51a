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
    "walletAddress",
    "walletAddressByUrl",
    "walletAddresses",
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
    "createWalletAddress",
    "updateWalletAddress",
    "createWalletAddressWithdrawal",
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


def test_rafikis_wallet_address_shapes() -> None:
    """The subset of Rafiki's wallet address types that applies, with Rafiki's types (the rest
    is listed in docs/admin-api.md)."""
    schema = build_schema()

    def fields(name: str) -> dict[str, str]:
        found = schema.get_type(name)
        assert isinstance(found, GraphQLObjectType | GraphQLInputObjectType)
        return {field: str(f.type) for field, f in found.fields.items()}

    assert fields("WalletAddress") == {
        "id": "ID!",
        "asset": "Asset!",
        "liquidity": "UInt64",
        "address": "String!",
        "publicName": "String",
        "createdAt": "String!",
        "status": "WalletAddressStatus!",
        "tenant": "Tenant",
    }
    assert fields("CreateWalletAddressInput") == {
        "tenantId": "ID",
        "assetId": "String!",
        "address": "String!",
        "publicName": "String",
        "idempotencyKey": "String",
    }
    assert fields("UpdateWalletAddressInput") == {
        "id": "ID!",
        "publicName": "String",
        "status": "WalletAddressStatus",
        "idempotencyKey": "String",
    }
    assert fields("CreateWalletAddressWithdrawalInput") == {
        "walletAddressId": "String!",
        "id": "String!",
        "idempotencyKey": "String!",
        "timeoutSeconds": "UInt64!",
    }
    assert fields("WalletAddressWithdrawal") == {
        "id": "ID!",
        "amount": "UInt64!",
        "walletAddress": "WalletAddress!",
    }
    assert fields("WalletAddressWithdrawalMutationResponse") == {
        "withdrawal": "WalletAddressWithdrawal"
    }
    assert fields("CreateWalletAddressMutationResponse") == {"walletAddress": "WalletAddress"}
    assert fields("UpdateWalletAddressMutationResponse") == {"walletAddress": "WalletAddress"}
    assert schema.query_type is not None
    wallet_addresses = schema.query_type.fields["walletAddresses"]
    assert str(wallet_addresses.type) == "WalletAddressesConnection!"
    assert set(wallet_addresses.args) == {
        "after",
        "before",
        "first",
        "last",
        "sortOrder",
        "tenantId",
    }


if __name__ == "__main__":
    SNAPSHOT.write_text(print_schema(build_schema()) + "\n")
