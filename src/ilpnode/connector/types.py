"""The pipeline's vocabulary: what a middleware receives, and what it returns.

`Handler = Callable[[Prepare, PacketContext], Awaitable[Fulfill | Reject]]`, Starlette-shaped
(STYLE rule 10). A middleware is a class built with the next handler; it may answer itself, raise
an `IlpError`, or call the next handler with the same or a replaced Prepare.

A middleware with nothing to do after the next handler (a check, or a rewrite on the way in) is
a plain `def __call__` that returns the next handler's awaitable without awaiting it, and
`answered(reply)` when it answers itself: a packet then crosses it without a coroutine of its own
(one allocation less per packet, and one frame less each time the chain resumes). Its errors are
raised at the call, inside the caller's `await`, so they reach `ErrorHandler` (and `Balance`'s
`finally`) exactly as before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, TypeAlias

from ilpnode.ilp import Fulfill, Prepare, Reject
from ilpnode.peer_table import ForwardingPeer

__all__ = ["Handler", "Middleware", "NextHop", "PacketContext", "Reply", "answered"]

Reply: TypeAlias = Fulfill | Reject


@dataclass(slots=True, kw_only=True, init=False)
class PacketContext:
    """One packet's way through the node.

    Attributes:
        incoming: the authenticated peer that sent the Prepare.
        raw: the Prepare's bytes as received (the client patches amount and expiry in them), or
            empty once a middleware replaced the packet by another (echo).
        received_ns: when the node read it (Unix ns): every expiry decision uses this instant.
        outgoing: the next hop, once routing chose it.
        source_amount: the amount as received (the Prepare passed on may carry a converted one).
        bounce_allowed: routing may choose the incoming peer (an echo response goes back).
        timeout_ns: how long the next hop may take, ns (set by `OutgoingTimeout`).
        route_longer_than: routing only considers prefixes longer than this (set for
            destinations under our own address: only a child's route may take them).
        expires_at_ns: the expiry of the Prepare passed on, in Unix ns (whole ms: the wire's):
            as received, then as `ReduceExpiry` reduced it (the only middleware that changes
            it). Every time on the packet path is in the clock's unit, ns.
        local_reply: for a packet received here (a STREAM payment into a wallet address), the
            Fulfill the receiver decided on, which the local chain's last handler returns once
            the money is reserved (`middleware/stream_receiver.py`).
    """

    incoming: ForwardingPeer
    raw: bytes
    received_ns: int
    expires_at_ns: int
    outgoing: ForwardingPeer | None = None
    source_amount: int = 0
    bounce_allowed: bool = False
    timeout_ns: int = 0
    route_longer_than: int = 0
    local_reply: Fulfill | None = None

    def __init__(
        self,
        *,
        incoming: ForwardingPeer,
        raw: bytes,
        received_ns: int,
        expires_at_ns: int,
        outgoing: ForwardingPeer | None = None,
        source_amount: int = 0,
        bounce_allowed: bool = False,
    ) -> None:
        # Spelled out: compiled, a dataclass's generated __init__ stays Python code, and one
        # context per packet made that a visible share of its cost.
        self.incoming = incoming
        self.raw = raw
        self.received_ns = received_ns
        self.expires_at_ns = expires_at_ns
        self.outgoing = outgoing
        self.source_amount = source_amount
        self.bounce_allowed = bounce_allowed
        self.timeout_ns = 0
        self.route_longer_than = 0
        self.local_reply = None


Handler: TypeAlias = Callable[[Prepare, PacketContext], Awaitable[Reply]]


async def answered(reply: Reply) -> Reply:
    """`reply` as an awaitable, for a middleware that answers without awaiting anything."""
    return reply


class Middleware(Protocol):
    """A middleware built around the next handler (options are keyword arguments)."""

    def __call__(self, prepare: Prepare, context: PacketContext) -> Awaitable[Reply]: ...


class NextHop(Protocol):
    """Sends an encoded Prepare to a peer (`peer_client.PeerClient`); raises `IlpError`s."""

    async def send(self, peer: ForwardingPeer, body: bytes, *, timeout_seconds: float) -> Reply:
        """Raises `IlpError`s; R00 when no answer came within `timeout_seconds`."""
        ...
