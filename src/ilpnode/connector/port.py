"""The connector port's app as the node serves it: who a bearer token is, and whether packets
go through yet.

`ConnectorPort` builds the `IlpHttpApp` once, with the token authenticator and a handler that
answers T03 "the node is not ready" (Connector Busy: a peer retries later). `open(connector)`
hands the app the pipeline's own `Connector.handle`, and `close()` puts the T03 answer back (the
node closing, or its ledger lock lost). So the packet path goes from the app straight to the
pipeline: it reads no readiness flag and passes through nothing of the composition root.
"""

from __future__ import annotations

from typing import Final

from ilpnode.connector.directory import PeerDirectory
from ilpnode.connector.ilp_http_app import IlpHttpApp
from ilpnode.connector.pipeline import Connector
from ilpnode.connector.token_index import TokenIndex
from ilpnode.ilp import IlpErrorCode, Prepare, Reject, encode_reject
from ilpnode.peer_table import ForwardingPeer

__all__ = ["ConnectorPort", "TokenAuthenticator"]

NOT_READY: Final = "the node is not ready"


class TokenAuthenticator:
    """Bearer token -> the peer it belongs to, or None: the connector port's `authenticate`."""

    def __init__(self, *, tokens: TokenIndex, directory: PeerDirectory) -> None:
        self._tokens = tokens
        self._directory = directory

    def __call__(self, token: str) -> ForwardingPeer | None:
        return self._directory.get(self._tokens.peer_for_token(token))


class ConnectorPort:
    """The connector port's app; it forwards packets between `open` and `close`."""

    def __init__(self, *, tokens: TokenIndex, directory: PeerDirectory, own_address: str) -> None:
        self._not_ready_reply = encode_reject(
            Reject(
                code=IlpErrorCode.T03_CONNECTOR_BUSY,
                triggered_by=own_address,
                message=NOT_READY,
            )
        )
        self.connector: Connector | None = None
        """The pipeline packets go through, or None while closed."""
        self.app: IlpHttpApp[ForwardingPeer] = IlpHttpApp(
            authenticate=TokenAuthenticator(tokens=tokens, directory=directory),
            handle=self._not_ready,
        )

    def open(self, connector: Connector) -> None:
        """Forward authenticated Prepares through `connector` from now on."""
        self.connector = connector
        self.app.handle_with(connector.handle)

    def close(self) -> None:
        """Answer authenticated Prepares T03 "the node is not ready" from now on."""
        self.connector = None
        self.app.handle_with(self._not_ready)

    def current(self) -> Connector | None:
        """The pipeline packets go through now, or None (what the node's own payments use)."""
        return self.connector

    async def _not_ready(self, _peer: ForwardingPeer, _prepare: Prepare, _raw: bytes) -> bytes:
        return self._not_ready_reply
