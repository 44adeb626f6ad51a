"""The composition root: the only place that builds and wires the node's objects (STYLE rule 18).

`build_node(settings)` calls plain constructors with explicit arguments; tests build the same graph
with their own settings. Nothing here runs at import time.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.applications import Starlette

from ilpnode import __version__
from ilpnode.admin.app import create_admin_app
from ilpnode.config import Settings
from ilpnode.connector.http_server import HandlePrepare, IlpHttpApp
from ilpnode.ilp import IlpErrorCode, Prepare, Reject, encode_reject
from ilpnode.storage.database import Database

__all__ = ["Node", "build_node"]


@dataclass(frozen=True, slots=True)
class Node:
    """Everything a running node consists of; `serve` runs it, `close` releases it."""

    settings: Settings
    database: Database
    admin_app: Starlette
    connector_app: IlpHttpApp

    async def close(self) -> None:
        await self.database.close()


def build_node(settings: Settings) -> Node:
    database = Database(settings.database_url)
    admin_app = create_admin_app(
        database_ok=database.ping, version=__version__, ilp_address=settings.node_address
    )
    no_route = _unreachable(settings.node_address)
    connector_app = IlpHttpApp(authenticate=_no_peers, handle=no_route)
    return Node(
        settings=settings, database=database, admin_app=admin_app, connector_app=connector_app
    )


def _no_peers(_token: str) -> object | None:
    # Until peers exist (the Admin API issue), no token belongs to anyone.
    return None


def _unreachable(own_address: str) -> HandlePrepare:
    # Until routing exists (the connector issue), there is nowhere to forward a packet.
    async def reject(_peer: object, prepare: Prepare, _raw: bytes) -> bytes:
        return encode_reject(
            Reject(
                code=IlpErrorCode.F02_UNREACHABLE.value,
                triggered_by=own_address,
                message=f"no route to {prepare.destination}",
            )
        )

    return reject
