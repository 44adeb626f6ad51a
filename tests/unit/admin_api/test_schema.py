"""The Admin API schema: pinned by a snapshot, and carrying every Rafiki name the issue lists.

To accept an intended schema change: `python -m tests.unit.admin_api.test_schema` rewrites the
snapshot; review its diff like any API change.
"""

from __future__ import annotations

from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLObjectType,
    GraphQLSchema,
    print_schema,
)

from ilpnode.admin.graphql import build_schema

SNAPSHOT = Path(__file__).with_name("schema.snapshot.graphql")

RAFIKI_QUERIES = {
    "asset",
    "assets",
    "assetByCodeAndScale",
    "peer",
    "peers",
    "peerByAddressAndAsset",
    "whoami",
    "tenant",
    "tenants",
    "walletAddress",
    "walletAddressByUrl",
    "walletAddresses",
    "webhookEvents",
    "outgoingPayment",
    "outgoingPayments",
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
    "setFee",
    "createTenant",
    "updateTenant",
    "deleteTenant",
    "createTenantSettings",
    "createWalletAddress",
    "updateWalletAddress",
    "createWalletAddressWithdrawal",
    "sendPayment",  # ilpnode's (Rafiki pays through quotes and Open Payments grants)
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


def _fields(schema: GraphQLSchema, name: str) -> dict[str, str]:
    type_ = schema.get_type(name)
    assert isinstance(type_, GraphQLObjectType | GraphQLInputObjectType)
    return {field_name: str(field.type) for field_name, field in type_.fields.items()}


def test_rafikis_fee_shapes() -> None:
    schema = build_schema()
    assert schema.mutation_type is not None
    assert str(schema.mutation_type.fields["setFee"].type) == "SetFeeResponse!"
    assert _fields(schema, "Fee") == {
        "id": "ID!",
        "assetId": "ID!",
        "type": "FeeType!",
        "fixed": "UInt64!",
        "basisPoints": "Int!",
        "createdAt": "String!",
    }
    assert _fields(schema, "SetFeeInput") == {
        "assetId": "ID!",
        "type": "FeeType!",
        "fee": "FeeDetails!",
        "idempotencyKey": "String",
    }
    assert _fields(schema, "FeeDetails") == {"fixed": "UInt64!", "basisPoints": "Int!"}
    assert _fields(schema, "SetFeeResponse") == {"fee": "Fee"}
    asset = _fields(schema, "Asset")
    assert (asset["sendingFee"], asset["receivingFee"], asset["fees"]) == (
        "Fee",
        "Fee",
        "FeesConnection",
    )
    asset_type = schema.get_type("Asset")
    assert isinstance(asset_type, GraphQLObjectType)
    assert set(asset_type.fields["fees"].args) == {"after", "before", "first", "last", "sortOrder"}


def test_rafikis_tenant_shapes_without_secrets() -> None:
    schema = build_schema()
    assert _fields(schema, "WhoamiResponse") == {"id": "String!", "isOperator": "Boolean!"}
    # Rafiki's `apiSecret: String!` is nullable here: it is never disclosed (always null).
    assert _fields(schema, "Tenant") == {
        "id": "ID!",
        "publicName": "String",
        "email": "String",
        "apiSecret": "String",
        "idpConsentUrl": "String",
        "idpSecret": "String",
        "createdAt": "String!",
        "deletedAt": "String",
        "settings": "[TenantSetting!]!",
    }
    assert schema.query_type is not None
    assert str(schema.query_type.fields["tenant"].type) == "Tenant!"
    assert str(schema.query_type.fields["tenants"].type) == "TenantsConnection!"


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
        "outgoingPayments": "OutgoingPaymentConnection",
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


def test_the_outgoing_payment_shapes_of_the_contract() -> None:
    schema = build_schema()
    assert schema.mutation_type is not None
    assert schema.query_type is not None
    send = schema.mutation_type.fields["sendPayment"]
    assert str(send.type) == "OutgoingPaymentResponse!"
    assert str(send.args["input"].type) == "SendPaymentInput!"
    assert _fields(schema, "SendPaymentInput") == {
        "id": "String",
        "walletAddressId": "String",
        "assetId": "String",
        "receiver": "String!",
        "debitAmount": "UInt64",
        "receiveAmount": "UInt64",
        "idempotencyKey": "String",
    }
    assert _fields(schema, "OutgoingPaymentResponse") == {"payment": "OutgoingPayment"}
    assert _fields(schema, "Amount") == {
        "value": "UInt64!",
        "assetCode": "String!",
        "assetScale": "UInt8!",
    }
    assert _fields(schema, "OutgoingPayment") == {
        "id": "ID!",
        "walletAddressId": "ID",
        "assetId": "ID!",
        "receiver": "String!",
        "state": "OutgoingPaymentState!",
        "error": "String",
        "debitAmount": "Amount!",
        "sentAmount": "Amount!",
        "receiveAmount": "Amount!",
        "deliveredAmount": "Amount!",
        "fee": "Amount",
        "packets": "Int!",
        "createdAt": "String!",
        "updatedAt": "String!",
    }
    state = schema.get_type("OutgoingPaymentState")
    assert isinstance(state, GraphQLEnumType)
    assert list(state.values) == ["FUNDING", "SENDING", "COMPLETED", "FAILED", "CANCELLED"]
    queries = schema.query_type.fields
    assert str(queries["outgoingPayment"].type) == "OutgoingPayment"
    assert str(queries["outgoingPayments"].type) == "OutgoingPaymentConnection!"
    assert set(queries["outgoingPayments"].args) == {
        "after", "before", "first", "last", "sortOrder", "walletAddressId", "tenantId"
    }  # fmt: skip
    assert _fields(schema, "WalletAddress")["outgoingPayments"] == "OutgoingPaymentConnection"
