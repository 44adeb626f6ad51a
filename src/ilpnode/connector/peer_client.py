"""The outgoing side of ILP-over-HTTP: POST a Prepare to a peer, read its Fulfill or Reject.

One `aiohttp` session for the node; its connector keeps a pool of keep-alive connections per
peer endpoint (host, port, TLS), so steady traffic to a peer reuses warm connections. The request
carries the peer's outgoing token as `Authorization: Bearer …` and
`Content-Type: application/octet-stream`; the time it may take is bounded by the packet's
expiry (`middleware/expiry.OutgoingTimeout` cancels it).

What goes wrong, and the Reject it becomes (triggeredBy = our address; after interledger-rs,
which names the failure, where Rafiki says T00 for all of them):

- cannot connect, connection reset, TLS failure: T01 peer unreachable;
- a keep-alive connection the peer closed while idle: retried once on a new connection (JS
  peers close idle connections after ~5 s), then T01;
- HTTP 5xx, or 401/403 (our outgoing token is refused: an operator must fix the peering): T01;
- HTTP 429: T02 peer busy; any other non-200: F02;
- a 200 whose body is not an ILP Fulfill or Reject, or is over `MAX_REPLY_BYTES`: T01.

A peer's own Reject passes through unchanged, with its own triggeredBy.
"""

from __future__ import annotations

from typing import Final

import aiohttp

from ilpnode.connector.directory import ForwardingPeer
from ilpnode.connector.errors import IlpError, PeerBusy, PeerUnreachable
from ilpnode.connector.types import Reply
from ilpnode.ilp import IlpCodecError, IlpErrorCode, decode_reply

__all__ = ["MAX_REPLY_BYTES", "PeerClient", "create_session"]

# A Fulfill or Reject holds at most 32 KiB of data plus small fields.
MAX_REPLY_BYTES: Final = 64 * 1024
# Idle keep-alive connections are kept this long (JS peers drop theirs after ~5 s).
KEEPALIVE_SECONDS: Final = 4.0
# At most this many connections to one peer endpoint at a time.
CONNECTIONS_PER_PEER_MAX: Final = 256
_CONTENT_TYPE: Final = "application/octet-stream"


def create_session() -> aiohttp.ClientSession:
    """The node's HTTP client session (also used for the rates service)."""
    connector = aiohttp.TCPConnector(
        limit=0,
        limit_per_host=CONNECTIONS_PER_PEER_MAX,
        keepalive_timeout=KEEPALIVE_SECONDS,
        ttl_dns_cache=60,
    )
    return aiohttp.ClientSession(
        connector=connector,
        auto_decompress=False,
        skip_auto_headers=("User-Agent", "Accept-Encoding"),
        timeout=aiohttp.ClientTimeout(total=None),
    )


class PeerClient:
    def __init__(self, *, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def send(self, peer: ForwardingPeer, body: bytes) -> Reply:
        """POST `body` (an encoded Prepare) to `peer`; its reply, or an `IlpError`."""
        headers = {
            "Authorization": f"Bearer {peer.outgoing_token}",
            "Content-Type": _CONTENT_TYPE,
            "Accept": _CONTENT_TYPE,
        }
        for attempt in (1, 2):
            try:
                async with self._session.post(peer.endpoint, data=body, headers=headers) as answer:
                    status = answer.status
                    if status != 200:
                        raise _http_error(peer, status)
                    payload = await _read_bounded(answer)
                break
            except aiohttp.ServerDisconnectedError:
                if attempt == 1:
                    continue  # a stale keep-alive connection: once more on a fresh one
                raise PeerUnreachable(f"peer {peer.label} closed the connection") from None
            except aiohttp.ClientError as error:
                raise PeerUnreachable(f"cannot reach peer {peer.label}: {error}") from None
        try:
            return decode_reply(payload)
        except IlpCodecError as error:
            raise PeerUnreachable(f"peer {peer.label} sent an invalid reply: {error}") from None


def _http_error(peer: ForwardingPeer, status: int) -> IlpError:
    if status == 429:
        return PeerBusy(f"peer {peer.label} is busy (HTTP 429)")
    if status >= 500 or status in (401, 403):
        hint = " (is our outgoing token right?)" if status in (401, 403) else ""
        return PeerUnreachable(f"peer {peer.label} answered HTTP {status}{hint}")
    return IlpError(
        f"peer {peer.label} refused the packet (HTTP {status})", code=IlpErrorCode.F02_UNREACHABLE
    )


async def _read_bounded(answer: aiohttp.ClientResponse) -> bytes:
    length = answer.content_length
    if length is not None and length <= MAX_REPLY_BYTES:
        return await answer.read()
    chunks: list[bytes] = []
    size = 0
    async for chunk in answer.content.iter_chunked(16 * 1024):
        size += len(chunk)
        if size > MAX_REPLY_BYTES:
            raise PeerUnreachable(f"reply larger than {MAX_REPLY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
