"""IL-DCP (RFC 0031) beyond the vectors: validation messages, response round trips."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from ilpnode.ilp import (
    ILDCP_DESTINATION,
    PEER_PROTOCOL_CONDITION,
    PEER_PROTOCOL_FULFILLMENT,
    Fulfill,
    IldcpError,
    IldcpResponse,
    Writer,
    build_ildcp_request,
    decode_ildcp_response,
    encode_ildcp_response,
    is_ildcp_request,
    validate_ildcp_request,
)

NOW = datetime(2015, 6, 16, tzinfo=UTC)


def test_request_shape() -> None:
    request = build_ildcp_request(expires_at=NOW + timedelta(seconds=60))
    assert request.destination == ILDCP_DESTINATION == "peer.config"
    assert request.amount == 0
    assert request.execution_condition == PEER_PROTOCOL_CONDITION
    assert request.data == b""
    assert is_ildcp_request(request)
    validate_ildcp_request(request, now=NOW)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"destination": "peer.bonfig"}, "must be sent to peer.config"),
        ({"execution_condition": bytes(32)}, "wrong execution condition"),
        ({"amount": 1}, "amount 0"),
        ({"expires_at": NOW}, "expired"),
        ({"expires_at": NOW - timedelta(milliseconds=1)}, "expired"),
    ],
)
def test_invalid_requests(changes: dict[str, object], message: str) -> None:
    request = dataclasses.replace(
        build_ildcp_request(expires_at=NOW + timedelta(seconds=60)),
        **changes,  # type: ignore[arg-type]
    )
    with pytest.raises(IldcpError, match=message):
        validate_ildcp_request(request, now=NOW)


def test_validate_needs_an_aware_clock() -> None:
    request = build_ildcp_request(expires_at=NOW + timedelta(seconds=60))
    with pytest.raises(ValueError, match="aware"):
        validate_ildcp_request(request, now=datetime(2015, 6, 16))


def test_not_an_ildcp_request() -> None:
    request = build_ildcp_request(expires_at=NOW)
    assert not is_ildcp_request(dataclasses.replace(request, destination="peer.route.control"))


@pytest.mark.parametrize(
    "response",
    [
        IldcpResponse(client_address="example.client", asset_scale=13, asset_code="XAM"),
        IldcpResponse(client_address="g." + "a" * 1021, asset_scale=255, asset_code="€uro"),
        IldcpResponse(client_address="test.x", asset_scale=0, asset_code=""),
    ],
)
def test_response_round_trip(response: IldcpResponse) -> None:
    fulfill = encode_ildcp_response(response)
    assert fulfill.fulfillment == PEER_PROTOCOL_FULFILLMENT
    assert decode_ildcp_response(fulfill) == response


def test_response_validation() -> None:
    with pytest.raises(ValueError, match="scheme"):
        IldcpResponse(client_address="nope", asset_scale=2, asset_code="USD")
    for scale in (-1, 256):
        with pytest.raises(ValueError, match=r"0\.\.255"):
            IldcpResponse(client_address="g.a", asset_scale=scale, asset_code="USD")
    with pytest.raises(TypeError):
        IldcpResponse(client_address="g.a", asset_scale=True, asset_code="USD")
    with pytest.raises(TypeError):
        IldcpResponse(client_address="g.a", asset_scale=2, asset_code=b"USD")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="UTF-8"):
        IldcpResponse(client_address="g.a", asset_scale=2, asset_code="\ud800")


def _data(address: bytes, scale: bytes, code: bytes) -> bytes:
    w = Writer()
    w.write_var_octets(address)
    w.write_bytes(scale)
    w.write_var_octets(code)
    return w.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "malformed"),
        (b"\x0eexample.client", "malformed"),
        (b"\x0eexample.client\x0d", "malformed"),
        (b"\x0eexample.client\x0d\x05XAM", "malformed"),
        (b"\x81\x05hello\x00\x00", "malformed"),
        (_data(b"caf\xc3\xa9.x", b"\x02", b"USD"), "malformed"),
        (_data(b"g.a", b"\x02", b"\xff"), "malformed"),
        (_data(b"nope", b"\x02", b"USD"), "invalid address"),
    ],
)
def test_malformed_responses(data: bytes, message: str) -> None:
    with pytest.raises(IldcpError, match=message):
        decode_ildcp_response(Fulfill(fulfillment=PEER_PROTOCOL_FULFILLMENT, data=data))


def test_response_with_wrong_fulfillment() -> None:
    response = encode_ildcp_response(
        IldcpResponse(client_address="g.a", asset_scale=2, asset_code="USD")
    )
    with pytest.raises(IldcpError, match="zero"):
        decode_ildcp_response(dataclasses.replace(response, fulfillment=b"\x01" * 32))


def test_trailing_bytes_in_response_data_are_ignored() -> None:
    data = _data(b"g.a", b"\x02", b"USD") + b"\x00extension"
    decoded = decode_ildcp_response(Fulfill(fulfillment=PEER_PROTOCOL_FULFILLMENT, data=data))
    assert decoded == IldcpResponse(client_address="g.a", asset_scale=2, asset_code="USD")


def test_ildcp_error_is_a_value_error() -> None:
    assert issubclass(IldcpError, ValueError)
