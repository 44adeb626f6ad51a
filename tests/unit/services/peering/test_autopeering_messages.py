"""The auto-peering wire format: Rafiki's JSON field names and types exactly (rafiki-peering §7),
and every field of a request or an answer checked, naming the field at fault."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ilpnode.services.peering.autopeering import (
    MAX_MESSAGE_BYTES,
    AutoPeeringError,
    AutoPeeringFailure,
    PeeringDetails,
    PeeringRequest,
    decode_peering_details,
    decode_peering_request,
    encode_error,
    encode_peering_details,
    encode_peering_request,
)
from ilpnode.services.peering.autopeering.messages import decode_error_type

E = AutoPeeringError

# What Rafiki's `initiatePeeringRequest` sends (axios, JSON.stringify of PeeringRequestArgs):
# `maxPacketAmount: Number(args.maxPacketAmount)` is NaN when absent, which JSON writes as null.
RAFIKI_REQUEST = (
    b'{"ilpConnectorUrl":"http://cloud-nine-wallet-backend:3002",'
    b'"staticIlpAddress":"test.cloud-nine-wallet","asset":{"code":"USD","scale":2},'
    b'"httpToken":"0d5d7c4c-1b4f-4b6e-9a52-3c3b1f7d6a10","maxPacketAmount":null,'
    b'"name":"CLOUD-NINE"}'
)
# What Rafiki's `acceptPeeringRequest` answers (PeeringDetails).
RAFIKI_ANSWER = (
    b'{"ilpConnectorUrl":"http://happy-life-bank-backend:4002",'
    b'"staticIlpAddress":"test.happy-life-bank","httpToken":"b7c1f6a2-3e7d-4d8e-a1c2-5f6e7d8c9b0a",'
    b'"name":"HAPPY-LIFE","tenantId":"cf5fd7d3-1eb1-4041-8e43-ba45747e9e5d"}'
)
RAFIKI_ERROR = b'{"error":{"code":404,"message":"Unknown asset","type":"UnknownAsset"}}'

REQUEST = PeeringRequest(
    static_ilp_address="test.alice",
    ilp_connector_url="https://alice.example/ilp",
    asset_code="USD",
    asset_scale=2,
    http_token="token-of-alice",
    max_packet_amount=1000,
    name="Alice",
)


def _types(value: Any) -> Any:
    """The JSON shape of a value: field names with their JSON types, recursively."""
    if isinstance(value, dict):
        return {key: _types(item) for key, item in value.items()}
    return {str: "string", int: "number", type(None): "null"}[type(value)]


def _body(**changes: Any) -> bytes:
    value = json.loads(RAFIKI_REQUEST)
    for path, new in changes.items():
        target = value
        *parents, last = path.split("__")
        for parent in parents:
            target = target[parent]
        if new is _DROP:
            del target[last]
        else:
            target[last] = new
    return json.dumps(value).encode()


_DROP = object()


def test_our_request_has_rafikis_fields_and_types() -> None:
    encoded = encode_peering_request(REQUEST)

    assert _types(encoded) == {
        "staticIlpAddress": "string",
        "ilpConnectorUrl": "string",
        "asset": {"code": "string", "scale": "number"},
        "httpToken": "string",
        "maxPacketAmount": "number",
        "name": "string",
    }
    assert _types(json.loads(RAFIKI_REQUEST)) | {"maxPacketAmount": "number"} == _types(encoded)
    # No limit: null, exactly what Rafiki's Number(undefined) becomes.
    assert (
        encode_peering_request(PeeringRequest(**{**_fields(REQUEST), "max_packet_amount": None}))[
            "maxPacketAmount"
        ]
        is None
    )


def _fields(request: PeeringRequest) -> dict[str, Any]:
    return {name: getattr(request, name) for name in PeeringRequest.__dataclass_fields__}


def test_our_answer_has_rafikis_fields_and_types() -> None:
    details = PeeringDetails(
        static_ilp_address="test.bob",
        ilp_connector_url="https://bob.example/ilp",
        http_token="token-of-bob",
        name="Bob",
        tenant_id="438fa74a-fa7d-4317-9ced-dde32ece1787",
    )

    encoded = encode_peering_details(details)

    assert _types(encoded) == _types(json.loads(RAFIKI_ANSWER))
    assert list(encoded) == [
        "staticIlpAddress",
        "ilpConnectorUrl",
        "httpToken",
        "name",
        "tenantId",
    ]


def test_our_error_body_is_rafikis_plus_the_field() -> None:
    failure = AutoPeeringFailure(E.UnknownAsset, "no asset 'XYZ' with scale 2", "asset")

    encoded = encode_error(failure)

    assert _types(json.loads(RAFIKI_ERROR)) == {
        "error": {"code": "number", "message": "string", "type": "string"}
    }
    assert encoded == {
        "error": {
            "code": 404,
            "message": "Unknown asset: no asset 'XYZ' with scale 2",
            "type": "UnknownAsset",
            "field": "asset",
        }
    }
    assert decode_error_type(json.dumps(encoded).encode()) == (
        "UnknownAsset",
        encoded["error"]["message"],
    )
    assert decode_error_type(RAFIKI_ERROR) == ("UnknownAsset", "Unknown asset")


def test_rafikis_request_decodes() -> None:
    assert decode_peering_request(RAFIKI_REQUEST) == PeeringRequest(
        static_ilp_address="test.cloud-nine-wallet",
        ilp_connector_url="http://cloud-nine-wallet-backend:3002",
        asset_code="USD",
        asset_scale=2,
        http_token="0d5d7c4c-1b4f-4b6e-9a52-3c3b1f7d6a10",
        max_packet_amount=None,
        name="CLOUD-NINE",
    )


def test_rafikis_answer_decodes() -> None:
    assert decode_peering_details(RAFIKI_ANSWER) == PeeringDetails(
        static_ilp_address="test.happy-life-bank",
        ilp_connector_url="http://happy-life-bank-backend:4002",
        http_token="b7c1f6a2-3e7d-4d8e-a1c2-5f6e7d8c9b0a",
        name="HAPPY-LIFE",
        tenant_id="cf5fd7d3-1eb1-4041-8e43-ba45747e9e5d",
    )


def test_request_and_answer_round_trip() -> None:
    assert decode_peering_request(json.dumps(encode_peering_request(REQUEST)).encode()) == REQUEST
    details = PeeringDetails(
        static_ilp_address="test.bob",
        ilp_connector_url="http://bob.example:3002",
        http_token="t",
        name=None,
        tenant_id=None,
    )
    assert decode_peering_details(json.dumps(encode_peering_details(details)).encode()) == details


def test_optional_fields_and_unknown_ones() -> None:
    minimal = _body(maxPacketAmount=_DROP, name=_DROP, tenantId="anything", future={"x": 1})

    decoded = decode_peering_request(minimal)

    assert isinstance(decoded, PeeringRequest)
    assert (decoded.max_packet_amount, decoded.name) == (None, None)
    # 0 means no limit, as in Rafiki (`args.maxPacketAmount ? BigInt(…) : undefined`).
    zero = decode_peering_request(_body(maxPacketAmount=0))
    assert isinstance(zero, PeeringRequest)
    assert zero.max_packet_amount is None
    top = decode_peering_request(_body(maxPacketAmount=2**64 - 1))
    assert isinstance(top, PeeringRequest)
    assert top.max_packet_amount == 2**64 - 1


CONFIG, REQ = E.InvalidPeerIlpConfiguration, E.InvalidPeeringRequest


@pytest.mark.parametrize(
    ("changes", "error", "field", "detail"),
    [
        ({"staticIlpAddress": _DROP}, CONFIG, "staticIlpAddress", "staticIlpAddress is missing"),
        ({"staticIlpAddress": 7}, CONFIG, "staticIlpAddress", "is not a string"),
        ({"staticIlpAddress": "mywallet"}, CONFIG, "staticIlpAddress", "not a valid ILP address"),
        ({"staticIlpAddress": "test.a b"}, CONFIG, "staticIlpAddress", "not a valid ILP address"),
        ({"ilpConnectorUrl": _DROP}, CONFIG, "ilpConnectorUrl", "ilpConnectorUrl is missing"),
        ({"ilpConnectorUrl": "ftp://x.example"}, CONFIG, "ilpConnectorUrl", "not an http(s) URL"),
        ({"ilpConnectorUrl": "peer-backend:3002"}, CONFIG, "ilpConnectorUrl", "not an http(s)"),
        ({"ilpConnectorUrl": "http://.com"}, CONFIG, "ilpConnectorUrl", "not an http(s) URL"),
        ({"ilpConnectorUrl": " http://x.example"}, CONFIG, "ilpConnectorUrl", "not an http(s)"),
        ({"asset": _DROP}, REQ, "asset", "asset is missing"),
        ({"asset": "USD"}, REQ, "asset", "asset is not an object"),
        ({"asset__code": _DROP}, REQ, "asset.code", "asset.code is missing"),
        ({"asset__code": 840}, REQ, "asset.code", "asset.code is not a string"),
        ({"asset__code": ""}, REQ, "asset.code", "asset.code is not a string"),
        ({"asset__scale": _DROP}, REQ, "asset.scale", "asset.scale is missing"),
        ({"asset__scale": "2"}, REQ, "asset.scale", "not an integer from 0 to 255"),
        ({"asset__scale": 256}, REQ, "asset.scale", "not an integer from 0 to 255"),
        ({"asset__scale": 2.0}, REQ, "asset.scale", "not an integer from 0 to 255"),
        ({"asset__scale": True}, REQ, "asset.scale", "not an integer from 0 to 255"),
        ({"httpToken": _DROP}, REQ, "httpToken", "httpToken is missing"),
        ({"httpToken": ""}, REQ, "httpToken", "printable ASCII"),
        ({"httpToken": "a\r\nX-Injected: 1"}, REQ, "httpToken", "printable ASCII"),
        ({"httpToken": "x" * 1025}, REQ, "httpToken", "printable ASCII"),
        ({"httpToken": ["t"]}, REQ, "httpToken", "printable ASCII"),
        ({"maxPacketAmount": -1}, REQ, "maxPacketAmount", "from 0 to 2**64-1"),
        ({"maxPacketAmount": 2**64}, REQ, "maxPacketAmount", "from 0 to 2**64-1"),
        ({"maxPacketAmount": 1.5}, REQ, "maxPacketAmount", "from 0 to 2**64-1"),
        ({"maxPacketAmount": "1000"}, REQ, "maxPacketAmount", "from 0 to 2**64-1"),
        ({"maxPacketAmount": False}, REQ, "maxPacketAmount", "from 0 to 2**64-1"),
        ({"name": 5}, REQ, "name", "name is not a string"),
        ({"name": "x" * 256}, REQ, "name", "at most 255"),
        ({"name": "evil\x1b[31m"}, REQ, "name", "control characters"),
    ],
)
def test_each_bad_field_is_named(
    changes: dict[str, Any], error: AutoPeeringError, field: str, detail: str
) -> None:
    decoded = decode_peering_request(_body(**changes))

    assert isinstance(decoded, AutoPeeringFailure)
    assert (decoded.error, decoded.field) == (error, field)
    assert detail in decoded.detail
    assert decoded.message.startswith(error.message + ": ")


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"", "the request is not JSON"),
        (b"staticIlpAddress=test.a", "the request is not JSON"),
        (b"\xff\xfe\x00", "the request is not JSON"),
        (b'{"maxPacketAmount": NaN}', "the request is not JSON"),
        (b"[" * 100_000, "the request is larger than"),
        (b"[" * 60_000 + b"]" * 60_000, "the request is larger than"),
        (b"[" * 30_000 + b"]" * 30_000, "the request is not"),
        (b"1" * 5000, "the request is not JSON"),
        (b'"a string"', "the request is not a JSON object"),
        (b"[]", "the request is not a JSON object"),
        (b" " * (MAX_MESSAGE_BYTES + 1), "larger than 65536 bytes"),
    ],
)
def test_bodies_that_are_no_json_object(body: bytes, detail: str) -> None:
    decoded = decode_peering_request(body)

    assert isinstance(decoded, AutoPeeringFailure)
    assert decoded.error is E.InvalidPeeringRequest
    assert detail in decoded.detail


@pytest.mark.parametrize(
    ("body", "error", "field"),
    [
        (b"<html>hello</html>", E.InvalidPeerUrl, None),
        (b"[1]", E.InvalidPeerUrl, None),
        (b'{"ilpConnectorUrl":"http://b.example","httpToken":"t"}', CONFIG, "staticIlpAddress"),
        (b'{"staticIlpAddress":"test.b","httpToken":"t"}', CONFIG, "ilpConnectorUrl"),
        (
            b'{"staticIlpAddress":"test.b","ilpConnectorUrl":"javascript:alert(1)","httpToken":"t"}',
            CONFIG,
            "ilpConnectorUrl",
        ),
        (b'{"staticIlpAddress":"test.b","ilpConnectorUrl":"http://b.example"}', REQ, "httpToken"),
        (
            b'{"staticIlpAddress":"test.b","ilpConnectorUrl":"http://b.example","httpToken":"t",'
            b'"name":{"x":1}}',
            REQ,
            "name",
        ),
    ],
)
def test_a_malformed_answer_is_refused(
    body: bytes, error: AutoPeeringError, field: str | None
) -> None:
    decoded = decode_peering_details(body)

    assert isinstance(decoded, AutoPeeringFailure)
    assert (decoded.error, decoded.field) == (error, field)


def test_error_bodies_that_are_not_rafikis() -> None:
    assert decode_error_type(b"Not Found") is None
    assert decode_error_type(b'{"error": "unauthorized"}') is None
    assert decode_error_type(b'{"error": {"type": 5}}') is None
    assert decode_error_type(b'{"error": {"type": "X", "message": 5}}') == ("X", None)


def test_secrets_do_not_show_in_reprs() -> None:
    assert "token-of-alice" not in repr(REQUEST)
    details = decode_peering_details(RAFIKI_ANSWER)
    assert "b7c1f6a2" not in repr(details)
