"""Packets for this node's own address: the echo protocol, and payments to its wallet addresses.

Echo (ilp-connector `middlewares/echo`, protocols.md §1.4): a Prepare to our address whose data is
`ECHOECHOECHOECHO` ‖ type 0 ‖ VarOctetString(source address) is answered by sending a new Prepare
to that source address (same amount, condition and expiry; data = the prefix ‖ type 1), routed
like any other, back through the peer it came from if that is the way. A destination under our
address that a peer's route covers more specifically (a child peer `<our address>.<name>`, as
ilp-connector names its children) is routed to it. Any other destination under our address is
for a receiver on this node: it goes to the local chain (`receive`, the STREAM receiver of
`middleware/stream_receiver.py`), which answers F02 for what is no connection of ours. Without a
receiver, and for our bare address, F02.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable

from ilpnode.connector.errors import IlpError, Unreachable
from ilpnode.connector.routing import RoutingTable
from ilpnode.connector.types import Handler, PacketContext, Reply
from ilpnode.ilp import IlpCodecError, IlpErrorCode, Prepare, Reader, Writer, is_valid_address

__all__ = ["ECHO_PREFIX", "LocalPackets", "echo_request_data"]

ECHO_PREFIX = b"ECHOECHOECHOECHO"
_ECHO_REQUEST = 0
_ECHO_RESPONSE = 1


def echo_request_data(source_address: str) -> bytes:
    """The data of an echo request whose response should go to `source_address`."""
    writer = Writer()
    writer.write_var_octets(source_address.encode("ascii"))
    return ECHO_PREFIX + bytes([_ECHO_REQUEST]) + writer.getvalue()


class LocalPackets:
    def __init__(
        self,
        next_: Handler,
        *,
        own_address: str,
        routing: RoutingTable,
        receive: Handler | None = None,
    ) -> None:
        self._next = next_
        self._own = own_address
        self._own_prefix = own_address + "."
        self._routing = routing
        self._receive = receive

    def __call__(self, prepare: Prepare, context: PacketContext) -> Awaitable[Reply]:
        destination = prepare.destination
        if destination != self._own and not destination.startswith(self._own_prefix):
            return self._next(prepare, context)
        if destination == self._own:
            if prepare.data.startswith(ECHO_PREFIX):
                return self._echo(prepare, context)
        else:
            # A peer under our address (a child named <our address>.<name>): route to it, and
            # only by a route under our address (never out through a shorter, catch-all one).
            exclude = None if context.bounce_allowed else context.incoming.id
            own = len(self._own)
            if self._routing.next_hop(destination, exclude_peer_id=exclude, longer_than=own):
                context.route_longer_than = own
                return self._next(prepare, context)
            receive = self._receive
            if receive is not None:
                return receive(prepare, context)
        raise Unreachable(f"no receiver at {destination} on this node")

    def _echo(self, prepare: Prepare, context: PacketContext) -> Awaitable[Reply]:
        data = prepare.data
        if len(data) <= len(ECHO_PREFIX) or data[len(ECHO_PREFIX)] != _ECHO_REQUEST:
            raise Unreachable("unexpected echo packet: only echo requests (type 0) are answered")
        try:
            reader = Reader(data[len(ECHO_PREFIX) + 1 :])
            source = reader.read_var_octets().decode("ascii")
        except (IlpCodecError, UnicodeDecodeError):
            source = ""
        if not is_valid_address(source):
            raise IlpError(
                "echo request without a valid source address", code=IlpErrorCode.F01_INVALID_PACKET
            )
        context.bounce_allowed = True
        context.raw = b""  # a new packet: the client encodes it rather than patching the bytes
        response = dataclasses.replace(
            prepare, destination=source, data=ECHO_PREFIX + bytes([_ECHO_RESPONSE])
        )
        return self._next(response, context)
