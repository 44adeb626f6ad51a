"""The auto-peering messages on the wire: Rafiki's JSON, field by field (rafiki-peering §7).

Sans-IO: bytes or JSON values in, values or an `AutoPeeringFailure` out; nothing here does I/O.

Request (`POST /` to the peer URL), Rafiki's `PeeringRequestArgs`::

    {"staticIlpAddress": str, "ilpConnectorUrl": str, "asset": {"code": str, "scale": int},
     "httpToken": str, "maxPacketAmount": int | null (optional), "name": str (optional)}

Answer (200), Rafiki's `PeeringDetails`::

    {"staticIlpAddress": str, "ilpConnectorUrl": str, "httpToken": str, "name": str,
     "tenantId": str}

Error (4xx): ``{"error": {"code": <HTTP status>, "message": str, "type": <AutoPeeringError
name>}}``; ilpnode adds `"field"` (the JSON path of the field at fault) when there is one.

Tokens: each side generates the token *it* will present, sends it as `httpToken`, and the other
side stores it as an incoming token (Rafiki's model).

Rafiki validates nothing here (a missing `asset` is a 500 there); every field is checked, in
this order, and the first problem is answered: `staticIlpAddress` and `ilpConnectorUrl`
(`InvalidPeerIlpConfiguration`, as Rafiki answers for an invalid address or URL), then `asset`,
`httpToken`, `maxPacketAmount`, `name` (`InvalidPeeringRequest`). Fields we do not know
(Rafiki's optional `tenantId`, future additions) are ignored. A `maxPacketAmount` of null
(Rafiki sends `Number(undefined)`, which JSON writes as null) or 0 means no limit, as in
Rafiki.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from ilpnode.services.peering.autopeering.errors import AutoPeeringError, AutoPeeringFailure
from ilpnode.services.peering.validation import (
    is_valid_http_endpoint,
    is_valid_ilp_address,
    is_valid_scale,
    is_valid_token,
    is_valid_uint64,
)

__all__ = [
    "ASSET_CODE_LENGTH_MAX",
    "MAX_MESSAGE_BYTES",
    "NAME_LENGTH_MAX",
    "PeeringDetails",
    "PeeringRequest",
    "decode_error_type",
    "decode_peering_details",
    "decode_peering_request",
    "encode_error",
    "encode_peering_details",
    "encode_peering_request",
]

# A peering message is a few hundred bytes; 64 KiB leaves room for long tokens and names while
# keeping what a stranger can make the server read (and parse) small.
MAX_MESSAGE_BYTES: Final = 64 * 1024
# INSTANCE_NAME's limit (config.py): a peer's name is shown in lists.
NAME_LENGTH_MAX: Final = 255
# Our asset codes have at most 64 characters; a longer one can match no asset.
ASSET_CODE_LENGTH_MAX: Final = 64

_INVALID_REQUEST = AutoPeeringError.InvalidPeeringRequest
_INVALID_CONFIG = AutoPeeringError.InvalidPeerIlpConfiguration


@dataclass(frozen=True, slots=True, kw_only=True)
class PeeringRequest:
    """A peering request: the requester's details and the token it will present to us."""

    static_ilp_address: str
    ilp_connector_url: str
    asset_code: str
    asset_scale: int
    http_token: str
    max_packet_amount: int | None = None
    name: str | None = None

    def __repr__(self) -> str:
        return (
            f"PeeringRequest(static_ilp_address={self.static_ilp_address!r}, "
            f"ilp_connector_url={self.ilp_connector_url!r}, "
            f"asset={self.asset_code}/{self.asset_scale}, http_token='***')"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PeeringDetails:
    """The answer to a peering request: the acceptor's details and the token it will present."""

    static_ilp_address: str
    ilp_connector_url: str
    http_token: str
    name: str | None
    tenant_id: str | None = None

    def __repr__(self) -> str:
        return (
            f"PeeringDetails(static_ilp_address={self.static_ilp_address!r}, "
            f"ilp_connector_url={self.ilp_connector_url!r}, name={self.name!r}, "
            "http_token='***')"
        )


def encode_peering_request(request: PeeringRequest) -> dict[str, Any]:
    """The JSON object Rafiki's `initiatePeeringRequest` sends (`maxPacketAmount` null when
    there is no limit, as Rafiki's `Number(undefined)` becomes)."""
    return {
        "staticIlpAddress": request.static_ilp_address,
        "ilpConnectorUrl": request.ilp_connector_url,
        "asset": {"code": request.asset_code, "scale": request.asset_scale},
        "httpToken": request.http_token,
        "maxPacketAmount": request.max_packet_amount,
        "name": request.name,
    }


def encode_peering_details(details: PeeringDetails) -> dict[str, Any]:
    """The JSON object Rafiki's `acceptPeeringRequest` answers."""
    return {
        "staticIlpAddress": details.static_ilp_address,
        "ilpConnectorUrl": details.ilp_connector_url,
        "httpToken": details.http_token,
        "name": details.name,
        "tenantId": details.tenant_id,
    }


def encode_error(failure: AutoPeeringFailure) -> dict[str, Any]:
    """Rafiki's error body (`code` is the HTTP status), with ilpnode's `field` when known."""
    error: dict[str, Any] = {
        "code": failure.error.status,
        "message": failure.message,
        "type": failure.error.value,
    }
    if failure.field is not None:
        error["field"] = failure.field
    return {"error": error}


def decode_peering_request(body: bytes) -> PeeringRequest | AutoPeeringFailure:
    """A peering request from a request body (see the module docstring for the rules).

    Returns:
        The request, or the failure for the first problem: InvalidPeerIlpConfiguration (address,
        URL) or InvalidPeeringRequest (anything else), naming the field. Never raises.
    """
    value = _json_object(body, what="the request")
    if isinstance(value, AutoPeeringFailure):
        return value
    address = _ilp_address(value, "staticIlpAddress", _INVALID_CONFIG)
    if isinstance(address, AutoPeeringFailure):
        return address
    url = _connector_url(value, "ilpConnectorUrl", _INVALID_CONFIG)
    if isinstance(url, AutoPeeringFailure):
        return url
    asset = _asset(value)
    if isinstance(asset, AutoPeeringFailure):
        return asset
    token = _token(value, "httpToken")
    if isinstance(token, AutoPeeringFailure):
        return token
    max_packet_amount = _max_packet_amount(value)
    if isinstance(max_packet_amount, AutoPeeringFailure):
        return max_packet_amount
    name = _name(value)
    if isinstance(name, AutoPeeringFailure):
        return name
    return PeeringRequest(
        static_ilp_address=address,
        ilp_connector_url=url,
        asset_code=asset[0],
        asset_scale=asset[1],
        http_token=token,
        max_packet_amount=max_packet_amount,
        name=name,
    )


def decode_peering_details(body: bytes) -> PeeringDetails | AutoPeeringFailure:
    """A peer's 200 answer, checked as strictly as a request.

    Returns:
        The details, or InvalidPeerUrl (not a JSON object: whatever answered is no auto-peering
        server), InvalidPeerIlpConfiguration (its address or connector URL is unusable), or
        InvalidPeeringRequest (its token or name is), naming the field. Never raises.
    """
    value = _json_object(body, what="the answer", error=AutoPeeringError.InvalidPeerUrl)
    if isinstance(value, AutoPeeringFailure):
        return value
    address = _ilp_address(value, "staticIlpAddress", _INVALID_CONFIG)
    if isinstance(address, AutoPeeringFailure):
        return address
    url = _connector_url(value, "ilpConnectorUrl", _INVALID_CONFIG)
    if isinstance(url, AutoPeeringFailure):
        return url
    token = _token(value, "httpToken")
    if isinstance(token, AutoPeeringFailure):
        return token
    name = _name(value)
    if isinstance(name, AutoPeeringFailure):
        return name
    tenant_id = value.get("tenantId")
    return PeeringDetails(
        static_ilp_address=address,
        ilp_connector_url=url,
        http_token=token,
        name=name,
        tenant_id=tenant_id if isinstance(tenant_id, str) else None,
    )


def decode_error_type(body: bytes) -> tuple[str, str | None] | None:
    """`(type, message)` of a Rafiki error body (`message` None if it is not a string), or None
    if the body is not one. Never raises."""
    value = _json_object(body, what="the answer")
    if isinstance(value, AutoPeeringFailure):
        return None
    error = value.get("error")
    if not isinstance(error, dict) or not isinstance(error.get("type"), str):
        return None
    message = error.get("message")
    return error["type"], message if isinstance(message, str) else None


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _json_object(
    body: bytes, *, what: str, error: AutoPeeringError = _INVALID_REQUEST
) -> Mapping[str, Any] | AutoPeeringFailure:
    if len(body) > MAX_MESSAGE_BYTES:
        return AutoPeeringFailure(error, f"{what} is larger than {MAX_MESSAGE_BYTES} bytes")
    try:
        value = json.loads(body, parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return AutoPeeringFailure(error, f"{what} is not JSON")
    if not isinstance(value, dict):
        return AutoPeeringFailure(error, f"{what} is not a JSON object")
    return value


def _missing(values: Mapping[str, Any], name: str, error: AutoPeeringError) -> AutoPeeringFailure:
    reason = "is missing" if values.get(name) is None else "is not a string"
    return AutoPeeringFailure(error, f"{name} {reason}", name)


def _ilp_address(
    values: Mapping[str, Any], name: str, error: AutoPeeringError
) -> str | AutoPeeringFailure:
    value = values.get(name)
    if not isinstance(value, str):
        return _missing(values, name, error)
    if not is_valid_ilp_address(value):
        return AutoPeeringFailure(error, f"{name} {value[:100]!r} is not a valid ILP address", name)
    return value


def _connector_url(
    values: Mapping[str, Any], name: str, error: AutoPeeringError
) -> str | AutoPeeringFailure:
    value = values.get(name)
    if not isinstance(value, str):
        return _missing(values, name, error)
    if not is_valid_http_endpoint(value) or any(c <= " " or c == "\x7f" for c in value):
        return AutoPeeringFailure(error, f"{name} {value[:100]!r} is not an http(s) URL", name)
    return value


def _asset(values: Mapping[str, Any]) -> tuple[str, int] | AutoPeeringFailure:
    asset = values.get("asset")
    if asset is None:
        return AutoPeeringFailure(_INVALID_REQUEST, "asset is missing", "asset")
    if not isinstance(asset, dict):
        return AutoPeeringFailure(_INVALID_REQUEST, "asset is not an object {code, scale}", "asset")
    code, scale = asset.get("code"), asset.get("scale")
    if not isinstance(code, str) or not 0 < len(code) <= ASSET_CODE_LENGTH_MAX:
        detail = (
            "asset.code is missing"
            if code is None
            else f"asset.code is not a string of 1 to {ASSET_CODE_LENGTH_MAX} characters"
        )
        return AutoPeeringFailure(_INVALID_REQUEST, detail, "asset.code")
    if not is_valid_scale(scale):
        detail = (
            "asset.scale is missing"
            if scale is None
            else "asset.scale is not an integer from 0 to 255"
        )
        return AutoPeeringFailure(_INVALID_REQUEST, detail, "asset.scale")
    assert isinstance(scale, int)  # is_valid_scale checked it
    return code, scale


def _token(values: Mapping[str, Any], name: str) -> str | AutoPeeringFailure:
    value = values.get(name)
    if value is None:
        return AutoPeeringFailure(_INVALID_REQUEST, f"{name} is missing", name)
    if not is_valid_token(value):
        return AutoPeeringFailure(
            _INVALID_REQUEST,
            f"{name} is not a string of 1 to 1024 printable ASCII characters",
            name,
        )
    assert isinstance(value, str)  # is_valid_token checked it
    return value


def _max_packet_amount(values: Mapping[str, Any]) -> int | AutoPeeringFailure | None:
    value = values.get("maxPacketAmount")
    if value is None or (value == 0 and is_valid_uint64(value)):
        return None
    if not is_valid_uint64(value):
        return AutoPeeringFailure(
            _INVALID_REQUEST,
            "maxPacketAmount is not an integer from 0 to 2**64-1 (or null)",
            "maxPacketAmount",
        )
    assert isinstance(value, int)
    return value


def _name(values: Mapping[str, Any]) -> str | AutoPeeringFailure | None:
    value = values.get("name")
    if value is None or value == "":
        return None
    if (
        not isinstance(value, str)
        or len(value) > NAME_LENGTH_MAX
        or any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value)
    ):
        return AutoPeeringFailure(
            _INVALID_REQUEST,
            f"name is not a string of at most {NAME_LENGTH_MAX} characters without control "
            "characters",
            "name",
        )
    return value
