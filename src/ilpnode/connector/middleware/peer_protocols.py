"""Peer protocols: answer IL-DCP on `peer.config`; never forward any other `peer.*` packet.

(The IL-DCP codec, request checks and response encoding are `ilp/_ildcp.py`; this middleware is
where the connector answers it.)

IL-DCP (RFC 0031) tells the peer its address (its `staticIlpAddress`) and its asset, as Rafiki's
middleware would if it were reachable (rafiki-peering §5.2 item 8: Rafiki routes first and so
answers F02; we answer before routing). `peer.*` addresses are bilateral (RFC 0034 "Special
Addresses"): one we do not speak (CCP, settlement) is F02, never sent on.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime

from ilpnode.connector.errors import IlpError, Unreachable
from ilpnode.connector.types import Handler, PacketContext, Reply, answered
from ilpnode.ilp import (
    ILDCP_DESTINATION,
    IldcpError,
    IldcpResponse,
    IlpErrorCode,
    Prepare,
    encode_ildcp_response,
    validate_ildcp_request,
)

__all__ = ["PeerProtocols"]


class PeerProtocols:
    def __init__(self, next_: Handler) -> None:
        self._next = next_

    def __call__(self, prepare: Prepare, context: PacketContext) -> Awaitable[Reply]:
        destination = prepare.destination
        if not destination.startswith("peer."):
            return self._next(prepare, context)
        return answered(self._peer_protocol(prepare, context))

    def _peer_protocol(self, prepare: Prepare, context: PacketContext) -> Reply:
        destination = prepare.destination
        if destination != ILDCP_DESTINATION:
            raise Unreachable(f"peer protocol {destination} is not supported by this node")
        received = datetime.fromtimestamp(context.received_ns / 1e9, UTC)
        try:
            validate_ildcp_request(prepare, now=received)
        except IldcpError as error:
            raise IlpError(str(error), code=IlpErrorCode.F01_INVALID_PACKET) from None
        peer = context.incoming
        return encode_ildcp_response(
            IldcpResponse(
                client_address=peer.static_ilp_address,
                asset_scale=peer.asset_scale,
                asset_code=peer.asset_code,
            )
        )
