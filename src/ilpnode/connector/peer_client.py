"""The outgoing side of ILP-over-HTTP: POST a Prepare to a peer, read its Fulfill or Reject.

One `http_client.HttpClient` for the node; it keeps a pool of keep-alive connections per peer
endpoint (scheme, host, port), so steady traffic to a peer reuses warm connections. The request
carries the headers of `ilpnode.ilp_over_http` (the peer's outgoing token as
`Authorization: Bearer …`), as the connection checks' requests do; the time it may take is
bounded by the packet's expiry (`middleware/expiry.OutgoingTimeout` computes how long; when it
passes: R00).

What goes wrong, and the Reject it becomes (triggeredBy = our address; after interledger-rs,
which names the failure, where Rafiki says T00 for all of them):

- cannot connect, connection reset, TLS failure: T01 peer unreachable;
- a keep-alive connection the peer closed while idle: retried once on a new connection (JS
  peers close idle connections after ~5 s), then T01;
- HTTP 5xx, or 401/403 (our outgoing token is refused: an operator must fix the peering): T01;
- HTTP 429: T02 peer busy; any other non-200: F02;
- a 200 whose body is not an ILP Fulfill or Reject, or is over `MAX_REPLY_BYTES`: T01.

A peer's own Reject passes through unchanged, with its own triggeredBy. Our Rejects say only
what the sender needs ("peer unreachable", "peer busy"): the next hop's name and address and the
exact failure are logged here (a warning at most every 10 s per peer), not sent upstream.
"""

from __future__ import annotations

import logging
import time
from typing import Final
from uuid import UUID

from ilpnode.connector.errors import IlpError, PeerBusy, PeerUnreachable, TransferTimedOut
from ilpnode.connector.http_client import Endpoint, HttpClient, HttpError, RequestTimedOut
from ilpnode.connector.types import Reply
from ilpnode.ilp import IlpCodecError, IlpErrorCode, decode_reply
from ilpnode.ilp_over_http import header_lines
from ilpnode.peer_table import ForwardingPeer

__all__ = ["MAX_REPLY_BYTES", "PeerClient"]

# A Fulfill or Reject holds at most 32 KiB of data plus small fields.
MAX_REPLY_BYTES: Final = 64 * 1024
# Idle keep-alive connections are kept this long (JS peers drop theirs after ~5 s).
KEEPALIVE_SECONDS: Final = 4.0
# At most this many connections to one peer endpoint at a time.
CONNECTIONS_PER_PEER_MAX: Final = 256
# A failing peer is logged at warning level at most this often (then at debug level).
WARN_INTERVAL_SECONDS: Final = 10.0
_UNREACHABLE: Final = "peer unreachable"
_INVALID_REPLY: Final = "invalid reply from the next hop"

logger = logging.getLogger("ilpnode.connector")


class PeerClient:
    def __init__(self, *, http: HttpClient | None = None) -> None:
        self._http = http or HttpClient(
            max_connections=CONNECTIONS_PER_PEER_MAX,
            idle_seconds=KEEPALIVE_SECONDS,
            max_body_bytes=MAX_REPLY_BYTES,
        )
        # peer id -> (the peer value it was built from, its endpoint, its header lines)
        # By `ForwardingPeer.key`: this is read for every packet.
        self._requests: dict[int, tuple[ForwardingPeer, Endpoint, bytes]] = {}
        self._warned: dict[UUID, float] = {}  # peer id -> when its failure was last a warning

    async def send(self, peer: ForwardingPeer, body: bytes, *, timeout_seconds: float) -> Reply:
        """POST `body` (an encoded Prepare) to `peer`, waiting at most `timeout_seconds`; its
        reply, or an `IlpError` (R00 `packet expired.` when the time is up)."""
        # Failures are raised after their handlers, never from inside one: compiled with mypyc,
        # a coroutine that raises from a handler leaves the exception it caught as the thread's
        # current one, and every later exception chains onto it (docs/operations.md).
        cached = self._requests.get(peer.key)
        if cached is None or cached[0] is not peer:
            cached = self._requests[peer.key] = self._request_for(peer)
        _, endpoint, head = cached
        try:
            status, payload = await self._http.post(
                endpoint, head, body, timeout_seconds=timeout_seconds
            )
        except RequestTimedOut:
            failure: str | None = None
            timed_out = True
        except HttpError as error:  # cannot connect, broken or oversized answer
            # Its words only: the exception's traceback holds this frame (no cycle).
            failure, timed_out = str(error), False
        else:
            failure, timed_out = None, False
        if timed_out:
            raise TransferTimedOut("packet expired.")
        if failure is not None:
            raise self._failed(peer, PeerUnreachable(_UNREACHABLE), failure)
        if status != 200:
            raise self._failed(peer, _http_error(status), f"HTTP {status}")
        try:
            return decode_reply(payload)
        except IlpCodecError as codec_error:  # its own name: mypyc types a name once
            invalid = f"not an ILP reply: {codec_error}"
        raise self._failed(peer, PeerUnreachable(_INVALID_REPLY), invalid)

    def _request_for(self, peer: ForwardingPeer) -> tuple[ForwardingPeer, Endpoint, bytes]:
        """Raises IlpError (T01) for an endpoint or a token that cannot be sent."""
        try:
            return (peer, *_request_of(peer))
        except ValueError as error:  # a plain function: it may raise from its handler
            raise self._failed(peer, PeerUnreachable(_UNREACHABLE), str(error)) from None

    def _failed(self, peer: ForwardingPeer, error: IlpError, detail: str) -> IlpError:
        # The sender gets the code and a plain message; the next hop's name, address and the
        # exact failure stay here, in a warning at most every WARN_INTERVAL_SECONDS per peer.
        now = time.monotonic()
        if now - self._warned.get(peer.id, -WARN_INTERVAL_SECONDS) >= WARN_INTERVAL_SECONDS:
            self._warned[peer.id] = now
            logger.warning(
                "forwarding to peer %s (%s) failed: %s -> %s",
                peer.label,
                peer.endpoint,
                detail,
                error.code.value,
            )
        else:
            logger.debug("forwarding to peer %s failed: %s", peer.label, detail)
        return error

    async def close(self) -> None:
        await self._http.close()


def _request_of(peer: ForwardingPeer) -> tuple[Endpoint, bytes]:
    """Raises ValueError for an endpoint or a token that cannot be sent."""
    # The headers every ILP-over-HTTP sender uses, as bytes once per peer (cached by `send`).
    return Endpoint.parse(peer.endpoint.strip()), header_lines(peer.outgoing_token)


def _http_error(status: int) -> IlpError:
    if status == 429:
        return PeerBusy("peer busy")
    if status >= 500 or status in (401, 403):  # 401/403: our outgoing token is refused
        return PeerUnreachable(_UNREACHABLE)
    return IlpError("peer refused the packet", code=IlpErrorCode.F02_UNREACHABLE)
