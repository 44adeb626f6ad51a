"""The composition root: the only place that builds and wires the node's objects (STYLE rule 18).

`build_node(settings)` calls plain constructors with explicit arguments and does no I/O;
`await node.start()` migrates the database, opens the ledger, builds the services over it, loads
every peer's routes and tokens into memory and builds the Admin API; `await node.close()`
releases everything. Tests build the same graph with their own settings. Nothing runs at import
time.
"""

from __future__ import annotations

import logging
from typing import Protocol

from starlette.applications import Starlette
from starlette.types import ASGIApp

from ilpnode import __version__
from ilpnode.admin.app import create_admin_app
from ilpnode.admin.graphql import AdminServices, create_graphql_app
from ilpnode.admin.signature import SignedRequests
from ilpnode.clock import SystemClock
from ilpnode.config import Settings
from ilpnode.connector.http_server import HandlePrepare, IlpHttpApp
from ilpnode.connector.peer_index import PeerIndex
from ilpnode.connector.routing import RoutingTable
from ilpnode.ilp import IlpErrorCode, Prepare, Reject, encode_reject
from ilpnode.ledger import Ledger
from ilpnode.services.accounting import LiquidityService
from ilpnode.services.peering import (
    AssetService,
    PeeringLiquidity,
    PeerService,
    ensure_ledger_accounts,
)
from ilpnode.storage.database import Database, redacted_url
from ilpnode.storage.embedded_ledger import EmbeddedLedger
from ilpnode.storage.idempotency_store import SqlIdempotencyStore
from ilpnode.storage.migrate import current_revision, migrate
from ilpnode.storage.peering_repository import SqlPeeringStore
from ilpnode.storage.pg_ledger import PostgresLedger

__all__ = ["Node", "StartupError", "build_node"]

logger = logging.getLogger("ilpnode")


class StartupError(Exception):
    """The node cannot start; the message says why in an operator's words."""


class OpenLedger(Ledger, Protocol):
    """A ledger backend as the node holds it: the port plus its lifecycle."""

    async def expire_due(self) -> int: ...

    async def close(self) -> None: ...


class Node:
    """Everything a running node consists of; `start`, then serve its apps, then `close`."""

    def __init__(self, settings: Settings, *, database: Database, clock: SystemClock) -> None:
        self.settings = settings
        self.database = database
        self.clock = clock
        self.ledger: OpenLedger | None = None
        self.routing = RoutingTable()
        self.peer_index = PeerIndex()
        self.peering_store = SqlPeeringStore(database)
        self.services: AdminServices | None = None
        self.graphql_app: ASGIApp | None = None
        self.admin_app: Starlette = create_admin_app(
            health=self.health,
            version=__version__,
            ilp_address=settings.node_address,
            graphql=lambda: self.graphql_app,
        )
        self.connector_app = IlpHttpApp(
            authenticate=self.peer_index.peer_for_token, handle=_unreachable(settings.node_address)
        )

    async def start(self) -> None:
        """Migrate the database and open the ledger.

        Raises:
            StartupError: the database is unreachable, or the ledger cannot be rebuilt.
        """
        where = redacted_url(self.settings.database_url)
        try:
            await migrate(self.database)
        except Exception as error:
            raise StartupError(f"cannot migrate the database at {where}: {error}") from error
        logger.info(
            "database %s at schema revision %s", where, await current_revision(self.database)
        )
        try:
            if self.settings.ledger_backend == "postgres":
                self.ledger = await PostgresLedger.open(self.database, clock=self.clock)
            else:
                self.ledger = await EmbeddedLedger.open(self.database, clock=self.clock)
        except Exception as error:
            raise StartupError(f"cannot open the ledger: {error}") from error
        logger.info("ledger ready (%s backend)", self.settings.ledger_backend)
        self.services = self._services(self.ledger)
        repaired = await ensure_ledger_accounts(
            store=self.peering_store, liquidity=LiquidityService(ledger=self.ledger)
        )
        if repaired:
            logger.warning("created the missing ledger accounts of %d assets/peers", repaired)
        peers = await self.services.peers.load_all()
        logger.info("%d peers loaded (%d routes)", peers, len(self.routing))
        self.graphql_app = self._admin_api(self.services)

    def _services(self, ledger: Ledger) -> AdminServices:
        liquidity = LiquidityService(ledger=ledger)
        store = self.peering_store
        return AdminServices(
            assets=AssetService(store=store, liquidity=liquidity, clock=self.clock),
            peers=PeerService(
                store=store,
                liquidity=liquidity,
                routing=self.routing,
                peer_index=self.peer_index,
                clock=self.clock,
            ),
            money=PeeringLiquidity(store=store, liquidity=liquidity),
            idempotency=SqlIdempotencyStore(self.database),
            clock=self.clock,
            tenant_id=self.settings.operator_tenant_id,
            instance_name=self.settings.instance_name,
        )

    def _admin_api(self, services: AdminServices) -> ASGIApp:
        graphql: ASGIApp = create_graphql_app(services)
        secret = self.settings.admin_api_secret
        if secret is None:
            return graphql
        return SignedRequests(
            graphql,
            secret=secret.get_secret_value(),
            ttl_seconds=self.settings.admin_api_signature_ttl_seconds,
            version=self.settings.admin_api_signature_version,
            operator_tenant_id=self.settings.operator_tenant_id,
            clock=self.clock.now_ms,
        )

    async def health(self) -> dict[str, str]:
        """The state of each dependency: "ok" or what is wrong with it. Never raises."""
        database = "ok" if await self.database.ping() else "unreachable"
        if self.ledger is None:
            ledger = "starting"
        elif isinstance(self.ledger, EmbeddedLedger) and not self.ledger.available:
            ledger = "recovering"
        else:
            ledger = "ok"
        return {"database": database, "ledger": ledger}

    async def close(self) -> None:
        self.graphql_app = None
        if self.ledger is not None:
            await self.ledger.close()
            self.ledger = None
        await self.database.close()


def build_node(settings: Settings) -> Node:
    return Node(settings, database=Database(settings.database_url), clock=SystemClock())


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
