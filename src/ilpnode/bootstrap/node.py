"""The node's lifecycle: `build_node` wires the parts, `start` opens and loads them in order,
`health` reports them, `close` releases them in reverse.

The parts (each module of this package builds one) are held here only to start, report and
close them: the packet path reads none of this object's attributes (`connector.port`).
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp

from ilpnode.admin.graphql import AdminServices
from ilpnode.bootstrap.clients import HttpClients
from ilpnode.bootstrap.connector import PacketPath
from ilpnode.bootstrap.errors import StartupError
from ilpnode.bootstrap.ledger import OpenLedger, ledger_state, lock_and_migrate, open_ledger
from ilpnode.bootstrap.metrics import NodeMetrics
from ilpnode.bootstrap.payments import Receiving
from ilpnode.bootstrap.services import admin_services, repair_ledger_accounts
from ilpnode.bootstrap.surfaces import Surfaces
from ilpnode.bootstrap.webhooks import (
    change_feed,
    liquidity_webhooks,
    start_change_feed,
    start_webhooks,
)
from ilpnode.clock import SystemClock
from ilpnode.config import Settings
from ilpnode.connector.metrics import RECENT_MINUTES
from ilpnode.connector.pipeline import Connector
from ilpnode.services.payments import StreamSecret
from ilpnode.services.replay_guard import ReplayGuard, ReplayGuardUnavailable
from ilpnode.services.traffic import TrafficService
from ilpnode.services.webhooks import LiquidityWebhooks
from ilpnode.storage.change_feed import ChangeFeed
from ilpnode.storage.database import Database
from ilpnode.storage.ledger.lock import LedgerLock
from ilpnode.storage.redis_replay_guard import RedisReplayGuard
from ilpnode.storage.replay_guard import SqlReplayGuard
from ilpnode.storage.webhook_store import SqlWebhookStore

__all__ = ["Node", "build_node"]

logger = logging.getLogger("ilpnode")


class Node:
    """Everything a running node consists of; `start`, then serve its apps, then `close`."""

    def __init__(
        self,
        settings: Settings,
        *,
        database: Database,
        clock: SystemClock,
        dashboard_session_key: str | None = None,
    ) -> None:
        self.settings = settings
        self.database = database
        self.clock = clock
        self.ledger: OpenLedger | None = None
        self._ledger_lock: LedgerLock | None = None
        self._ledger_lock_lost = False
        self._metrics = NodeMetrics()
        self.packet_path = PacketPath(settings, clock=clock, registry=self._metrics.registry)
        self.receiving = Receiving(settings, database)
        self.webhook_store = SqlWebhookStore(database)
        self.webhooks: LiquidityWebhooks | None = None
        self.change_feed: ChangeFeed | None = None
        self.services: AdminServices | None = None
        self._clients = HttpClients()
        # Signed Admin API requests accepted by any process of the node: Redis if configured.
        self.redis = RedisReplayGuard(settings.redis_url) if settings.redis_url else None
        self.replay_guard: ReplayGuard = self.redis or SqlReplayGuard(database)
        self.surfaces = Surfaces(
            settings,
            clock=clock,
            replays=self.replay_guard,
            health=self.health,
            metrics=self.metrics,
            dashboard_session_key=dashboard_session_key,
        )
        # What `serve` serves, and the parts tests look at (the node holds them; it does not
        # stand between them and the packet path).
        self.connector_app = self.packet_path.port.app
        self.admin_app = self.surfaces.admin_app
        self.open_payments_app = self.surfaces.open_payments_app
        self.auto_peering_app = self.surfaces.auto_peering_app
        self.routing = self.packet_path.routing
        self.token_index = self.packet_path.token_index
        self.directory = self.packet_path.directory
        self.peer_table = self.packet_path.peer_table
        self.packet_metrics = self.packet_path.packet_metrics
        self.wallet_address_directory = self.receiving.wallet_address_directory
        self.received_payments = self.receiving.received_payments

    @property
    def dashboard_app(self) -> ASGIApp | None:
        return self.surfaces.dashboard_app

    @property
    def connector(self) -> Connector | None:
        """The pipeline packets go through, or None while the node does not forward them."""
        return self.packet_path.port.connector

    @property
    def stream_secret(self) -> StreamSecret | None:
        return self.receiving.stream_secret

    async def start(self) -> None:
        """Check Redis, take the ledger's lock, migrate the database, open the ledger, load the
        services' memory, then serve: the connector port forwards packets from here on.

        Raises:
            StartupError: the database or Redis is unreachable, another process holds its
                ledger, or the ledger cannot be rebuilt.
        """
        settings, database, clock = self.settings, self.database, self.clock
        if self.redis is not None:
            try:
                await self.redis.check()
            except ReplayGuardUnavailable as error:
                raise StartupError(
                    f"cannot reach Redis at REDIS_URL={self.redis.where} (it keeps the Admin API's "
                    f"replay guard; start Redis or unset REDIS_URL): {error.__cause__ or error}"
                ) from error
            logger.info("Admin API replay guard in Redis at %s", self.redis.where)
        self._ledger_lock = await lock_and_migrate(
            settings, database, on_lost=self._lost_ledger_lock
        )
        self.ledger = ledger = await open_ledger(
            settings, database, clock=clock, registry=self._metrics.registry
        )
        self.webhooks = webhooks = liquidity_webhooks(
            settings, ledger, store=self.webhook_store, clock=clock
        )
        packet_path, receiving = self.packet_path, self.receiving
        packet_path.start_rates()
        self.services = services = admin_services(
            settings,
            ledger,
            database=database,
            clock=clock,
            packet_path=packet_path,
            receiving=receiving,
            thresholds=webhooks.watch,
            webhook_events=self.webhook_store,
            clients=self._clients,
            own_spsp=self.surfaces.current_spsp,
        )
        repaired = await repair_ledger_accounts(database, ledger)
        if repaired:
            logger.warning("created the missing ledger accounts of %d assets/peers", repaired)
        peers = await services.peers.load_all()
        logger.info("%d peers loaded (%d routes)", peers, len(packet_path.routing))
        secret = await receiving.load_secret()
        repaired = await services.wallet_addresses.load_all()
        if repaired:
            logger.warning("created the missing ledger accounts of %d wallet addresses", repaired)
        logger.info(
            "%d wallet addresses loaded under %s (STREAM secret from %s)",
            len(receiving.wallet_address_directory),
            receiving.urls.base,
            secret.source,
        )
        await start_webhooks(webhooks, ledger)
        if not database.is_sqlite:
            self.change_feed = change_feed(settings, services=services, webhooks=webhooks)
            await start_change_feed(self.change_feed, settings)
        packet_path.open(
            ledger, receiving=receiving.on_the_packet_path(packet_path.receive_metrics)
        )
        await receiving.received_payments.start()
        self.surfaces.open(
            services,
            spsp=receiving.spsp_server(),
            received_payments=receiving.received_payments,
            traffic=TrafficService(
                counters=packet_path.packet_metrics, recent_minutes=RECENT_MINUTES
            ),
            check_client=self._clients.new(),
        )
        await services.outgoing_payments.start()

    async def metrics(self) -> bytes:
        """The Prometheus text exposition: connector counters and each peer's liquidity."""
        return await self._metrics.exposition(self.ledger, self.packet_path.directory)

    async def health(self) -> dict[str, str]:
        """The state of each dependency: "ok" or what is wrong with it. Never raises.

        `changeFeed` is advisory: "off" on SQLite (one process), "down" while other processes'
        changes may be missed (the node keeps serving what it has; /healthz stays 200, status
        degraded)."""
        database = "ok" if await self.database.ping() else "unreachable"
        states = {
            "database": database,
            "ledger": ledger_state(self.ledger, lock_lost=self._ledger_lock_lost),
        }
        if self.database.is_sqlite:
            states["changeFeed"] = "off"
        else:
            states["changeFeed"] = (
                "starting" if self.change_feed is None else self.change_feed.state
            )
        if self.redis is not None:
            try:
                await self.redis.check()
            except ReplayGuardUnavailable:
                states["redis"] = "unreachable"
            else:
                states["redis"] = "ok"
        return states

    def _lost_ledger_lock(self, _message: str) -> None:
        # Another process may have opened the ledger: move no more money here (packets get
        # T03, the Admin API and the dashboard 503, /healthz 503) until an operator restarts.
        self._ledger_lock_lost = True
        if self.services is not None:
            self.services.outgoing_payments.halt()
        self.packet_path.stop()
        self.surfaces.close()

    async def close(self) -> None:
        if self.services is not None:
            await self.services.outgoing_payments.close(
                timeout_seconds=self.settings.shutdown_grace_seconds
            )
        if self.change_feed is not None:
            await self.change_feed.close()
            self.change_feed = None
        self.surfaces.close()
        self.packet_path.stop()
        # After the servers stopped (no packet is in flight): the tally's last second.
        await self.receiving.received_payments.close()
        if self.webhooks is not None:
            await self.webhooks.close()
            self.webhooks = None
        await self._clients.close()
        await self.packet_path.close()
        if self.ledger is not None:
            await self.ledger.close()
            self.ledger = None
        if self._ledger_lock is not None:
            await self._ledger_lock.release()
            self._ledger_lock = None
        if self.redis is not None:
            await self.redis.close()
        await self.database.close()


def build_node(settings: Settings, *, dashboard_session_key: str | None = None) -> Node:
    """The node's object graph; `dashboard_session_key` signs dashboard sessions when there is
    no ADMIN_API_SECRET (default: a random key for this process)."""
    return Node(
        settings,
        database=Database(settings.database_url),
        clock=SystemClock(),
        dashboard_session_key=dashboard_session_key,
    )
