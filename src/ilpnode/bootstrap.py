"""The composition root: the only place that builds and wires the node's objects (STYLE rule 18).

`build_node(settings)` calls plain constructors with explicit arguments and does no I/O;
`await node.start()` migrates the database, opens the ledger, builds the services over it, loads
every peer's routes and tokens and every hosted wallet address into memory, loads the STREAM
server secret, starts the liquidity webhooks and the change feed (PostgreSQL only: other
processes' changes reach this one's memory), the connector and the writer of the payments
received, builds the Admin API and the SPSP server, and starts the outgoing payments' sweep
(payments a dead process left unfinished are ended from the ledger); `await node.close()` stops
the payments this process runs (they settle, up to SHUTDOWN_GRACE_SECONDS), writes the last
payments received and releases everything. Tests build the same graph with their own settings.
Nothing runs at import time.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from fractions import Fraction
from typing import Protocol

import httpx
from prometheus_client import CollectorRegistry, Gauge, generate_latest
from starlette.applications import Starlette
from starlette.types import ASGIApp

from ilpnode import __version__
from ilpnode.accounting import (
    AccountBalance,
    LiquidityService,
    PacketAccounting,
    TransferCode,
)
from ilpnode.admin.app import create_admin_app
from ilpnode.admin.auto_peering import create_auto_peering_app
from ilpnode.admin.graphql import AdminServices, create_graphql_app
from ilpnode.admin.json_body import JsonBodies
from ilpnode.admin.signed_requests import SignedRequests
from ilpnode.admin.spsp import create_open_payments_app
from ilpnode.clock import SystemClock
from ilpnode.config import Settings
from ilpnode.connector.directory import PeerDirectory
from ilpnode.connector.ilp_http_app import IlpHttpApp
from ilpnode.connector.metrics import PacketMetrics, RefusalMetrics
from ilpnode.connector.middleware.stream_receiver import LocalReceiving
from ilpnode.connector.peer_client import PeerClient
from ilpnode.connector.peer_table import ConnectorPeerTable
from ilpnode.connector.pipeline import Connector, ConnectorOptions
from ilpnode.connector.rates import ExchangeRates, parse_static_rates
from ilpnode.connector.rates_http import HttpRatesSource
from ilpnode.connector.receive_metrics import ReceiveMetrics
from ilpnode.connector.routing import RoutingTable
from ilpnode.connector.token_index import TokenIndex
from ilpnode.dashboard import (
    DashboardServices,
    PeerChecker,
    create_dashboard_app,
    session_key_for,
)
from ilpnode.ilp import IlpErrorCode, Prepare, Reject, encode_reject
from ilpnode.ilp.stream import ReceiverConnections
from ilpnode.ledger import Account, Ledger
from ilpnode.payment_path import LocalPaymentPath
from ilpnode.peer_table import ForwardingPeer
from ilpnode.services.fees import FeeService
from ilpnode.services.outgoing_payments import OutgoingPaymentService, PaymentMoney
from ilpnode.services.outgoing_payments.receivers import ReceiverResolver
from ilpnode.services.payments import (
    OpenPaymentsUrls,
    ReceivedPaymentLog,
    ReceivedTally,
    SpspServer,
    StreamSecret,
    WalletAddressDirectory,
    WalletAddressService,
    load_stream_secret,
)
from ilpnode.services.peering import (
    AssetService,
    PeeringLiquidity,
    PeerService,
    ensure_ledger_accounts,
)
from ilpnode.services.peering.autopeering import AutoPeeringService, NodeIdentity
from ilpnode.services.peering.autopeering.http_client import HttpPeeringClient
from ilpnode.services.replay_guard import ReplayGuard, ReplayGuardUnavailable
from ilpnode.services.tenant import TenantService
from ilpnode.services.webhooks import DeliveryOptions, LiquidityWebhooks, WatchingFeedTarget
from ilpnode.storage.change_feed import ChangeFeed
from ilpnode.storage.database import Database, asyncpg_dsn, redacted_url
from ilpnode.storage.fee_repository import SqlFeeStore
from ilpnode.storage.idempotency_store import SqlIdempotencyStore
from ilpnode.storage.ledger.embedded import EmbeddedLedger
from ilpnode.storage.ledger.lock import LedgerLock, LedgerLockHeld, lock_ledger
from ilpnode.storage.ledger.metrics import LedgerMetrics
from ilpnode.storage.ledger.shared import PostgresLedger
from ilpnode.storage.migrate import current_revision, migrate
from ilpnode.storage.outgoing_payment_repository import SqlOutgoingPaymentStore
from ilpnode.storage.peering_repository import SqlPeeringStore
from ilpnode.storage.received_payment_store import SqlReceivedPaymentStore
from ilpnode.storage.redis_replay_guard import RedisReplayGuard
from ilpnode.storage.replay_guard import SqlReplayGuard
from ilpnode.storage.secret_store import SqlSecretStore
from ilpnode.storage.tenant_repository import SqlTenantStore
from ilpnode.storage.wallet_address_repository import SqlWalletAddressStore
from ilpnode.storage.webhook_store import SqlWebhookStore

__all__ = ["Node", "StartupError", "build_node"]

logger = logging.getLogger("ilpnode")


class StartupError(Exception):
    """The node cannot start; the message says why in an operator's words."""


class OpenLedger(Ledger, Protocol):
    """A ledger backend as the node holds it: the port plus its lifecycle."""

    async def expire_due(self) -> int: ...

    def watch_balances(self, ids: set[int], report: Callable[[list[Account]], None]) -> None: ...

    async def close(self) -> None: ...


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
        self._dashboard_session_key = dashboard_session_key
        self.routing = RoutingTable()
        self.token_index = TokenIndex()
        self.directory = PeerDirectory()
        self.peer_table = ConnectorPeerTable(
            directory=self.directory, tokens=self.token_index, routing=self.routing
        )
        self.packet_metrics = PacketMetrics()
        self.metrics_registry = CollectorRegistry(auto_describe=True)
        self.metrics_registry.register(self.packet_metrics)
        self.receive_metrics = ReceiveMetrics()
        self.metrics_registry.register(self.receive_metrics)
        self._liquidity_gauge = Gauge(
            "ilpnode_peer_liquidity",
            "Each peer's liquidity (the credit left on its line), smallest unit of its asset.",
            ["peer", "peer_id", "asset"],
            registry=self.metrics_registry,
        )
        self.connector: Connector | None = None
        self.rates: ExchangeRates | None = None
        self.change_feed: ChangeFeed | None = None
        self._peer_client: PeerClient | None = None
        self._rates_client: httpx.AsyncClient | None = None
        self.peering_store = SqlPeeringStore(database)
        # Receiving payments: the wallet addresses in memory (the packet path and the SPSP
        # server read them), and the STREAM server secret (loaded at start).
        self.wallet_address_directory = WalletAddressDirectory()
        self.wallet_address_store = SqlWalletAddressStore(database)
        self.open_payments_urls = OpenPaymentsUrls(settings.open_payments_base_url)
        self.stream_secret: StreamSecret | None = None
        self.spsp: SpspServer | None = None
        # The payments received: tallied by the packet path, written every second.
        self.received_payments = ReceivedPaymentLog(
            store=SqlReceivedPaymentStore(database), tally=ReceivedTally()
        )
        self.open_payments_app: ASGIApp = create_open_payments_app(server=lambda: self.spsp)
        self.webhook_store = SqlWebhookStore(database)
        self.webhooks: LiquidityWebhooks | None = None
        # Sending payments: this process's name as the owner of the payments it runs.
        self.outgoing_payment_store = SqlOutgoingPaymentStore(database)
        self.payment_owner = f"{socket.gethostname()} pid {os.getpid()} {secrets.token_hex(4)}"
        self._spsp_client: httpx.AsyncClient | None = None
        # Signed Admin API requests accepted by any process of the node: Redis if configured.
        self.redis = RedisReplayGuard(settings.redis_url) if settings.redis_url else None
        self.replay_guard: ReplayGuard = self.redis or SqlReplayGuard(database)
        self.services: AdminServices | None = None
        self.graphql_app: ASGIApp | None = None
        self.dashboard_app: ASGIApp | None = None
        self._check_client: httpx.AsyncClient | None = None
        self.admin_app: Starlette = create_admin_app(
            health=self.health,
            version=__version__,
            ilp_address=settings.node_address,
            graphql=lambda: self.graphql_app,
            dashboard=lambda: self.dashboard_app,
            metrics=self.metrics,
            metrics_token=(
                settings.metrics_token.get_secret_value() if settings.metrics_token else None
            ),
            metrics_open=settings.admin_api_secret is None,
            advisory=frozenset({"changeFeed"}),
        )
        self.connector_app = IlpHttpApp(authenticate=self._authenticate, handle=self._handle)
        self.metrics_registry.register(RefusalMetrics(self.connector_app.refusals))
        self.auto_peering: AutoPeeringService | None = None
        self._auto_peering_client: httpx.AsyncClient | None = None
        peering_secret = settings.auto_peering_secret
        self.auto_peering_app: Starlette = create_auto_peering_app(
            service=lambda: self.auto_peering,
            secret=peering_secret.get_secret_value() if peering_secret else None,
        )

    async def start(self) -> None:
        """Take the ledger's lock (`storage.ledger.lock`), migrate the database, open the ledger.

        Raises:
            StartupError: the database or Redis is unreachable, another process holds its
                ledger, or the ledger cannot be rebuilt.
        """
        if self.redis is not None:
            try:
                await self.redis.check()
            except ReplayGuardUnavailable as error:
                raise StartupError(
                    f"cannot reach Redis at REDIS_URL={self.redis.where} (it keeps the Admin API's "
                    f"replay guard; start Redis or unset REDIS_URL): {error.__cause__ or error}"
                ) from error
            logger.info("Admin API replay guard in Redis at %s", self.redis.where)
        where = redacted_url(self.settings.database_url)
        try:
            self._ledger_lock = await lock_ledger(
                self.database,
                shared=self.settings.ledger_backend == "postgres",
                on_lost=self._lost_ledger_lock,
            )
            await migrate(self.database)
        except LedgerLockHeld as error:
            raise StartupError(str(error)) from None
        except Exception as error:
            raise StartupError(f"cannot migrate the database at {where}: {error}") from error
        logger.info(
            "database %s at schema revision %s", where, await current_revision(self.database)
        )
        try:
            if self.settings.ledger_backend == "postgres":
                self.ledger = await PostgresLedger.open(self.database, clock=self.clock)
            else:
                embedded = await EmbeddedLedger.open(
                    self.database,
                    clock=self.clock,
                    fsync_every_commit=self.settings.ledger_durability == "power-loss",
                    # A packet's legs are never looked up once resolved: memory stays bounded.
                    forget_codes=frozenset({TransferCode.TRANSFER}),
                )
                self.metrics_registry.register(LedgerMetrics(embedded))
                self.ledger = embedded
        except Exception as error:
            raise StartupError(f"cannot open the ledger: {error}") from error
        logger.info("ledger ready (%s backend)", self.settings.ledger_backend)
        self.webhooks = webhooks = LiquidityWebhooks(
            store=self.webhook_store,
            ledger=self.ledger,
            clock=self.clock,
            delivery=self._webhook_delivery(),
        )
        self.rates = self._exchange_rates()
        self.services = self._services(self.ledger)
        repaired = await ensure_ledger_accounts(
            store=self.peering_store, liquidity=LiquidityService(ledger=self.ledger)
        )
        if repaired:
            logger.warning("created the missing ledger accounts of %d assets/peers", repaired)
        peers = await self.services.peers.load_all()
        logger.info("%d peers loaded (%d routes)", peers, len(self.routing))
        self.stream_secret = await load_stream_secret(
            configured=self.settings.stream_secret_bytes,
            store=SqlSecretStore(self.database),
        )
        repaired = await self.services.wallet_addresses.load_all()
        if repaired:
            logger.warning("created the missing ledger accounts of %d wallet addresses", repaired)
        logger.info(
            "%d wallet addresses loaded under %s (STREAM secret from %s)",
            len(self.wallet_address_directory),
            self.open_payments_urls.base,
            self.stream_secret.source,
        )
        self.ledger.watch_balances(webhooks.watch.watched_ids, webhooks.watch.balances_changed)
        try:
            await webhooks.start()
        except Exception as error:
            raise StartupError(f"cannot start the liquidity webhooks: {error}") from error
        if not self.database.is_sqlite:
            # Other processes may share this database: hear their changes.
            self.change_feed = ChangeFeed(
                dsn=asyncpg_dsn(self.settings.database_url),
                target=WatchingFeedTarget(peers=self.services.peers, watch=webhooks.watch),
                reconcile_seconds=self.settings.change_feed_reconcile_seconds,
                wallet_addresses=self.services.wallet_addresses,
            )
            await self.change_feed.start()
            logger.info(
                "change feed %s (reconciling every %g s)",
                self.change_feed.state,
                self.settings.change_feed_reconcile_seconds,
            )
        self.connector = self._connector(self.ledger)
        await self.received_payments.start()
        self.graphql_app = self._admin_api(self.services)
        self.auto_peering = self.services.auto_peering
        self.dashboard_app = self._dashboard(self.services)
        self.spsp = SpspServer(
            directory=self.wallet_address_directory,
            secret=self.stream_secret,
            urls=self.open_payments_urls,
            ilp_address=self.settings.node_address,
        )
        await self.services.outgoing_payments.start()

    def _exchange_rates(self) -> ExchangeRates:
        """The rates the connector converts with and the payments take their floor from."""
        settings = self.settings
        static = parse_static_rates(settings.exchange_rates) if settings.exchange_rates else {}
        url = settings.exchange_rates_url
        return ExchangeRates(
            static=static,
            source=self._rates_source(url) if url else None,
            lifetime_ms=settings.exchange_rates_lifetime_ms,
            clock=self.clock,
        )

    def _connector(self, ledger: Ledger) -> Connector:
        settings = self.settings
        self._peer_client = client = PeerClient()
        assert self.rates is not None, "the rates come before the connector"
        return Connector(
            own_address=settings.node_address,
            routing=self.routing,
            directory=self.directory,
            rates=self.rates,
            accounting=PacketAccounting(ledger=ledger),
            client=client,
            clock=self.clock,
            metrics=self.packet_metrics,
            options=ConnectorOptions(
                min_expiry_window_ms=settings.connector_min_expiry_window_ms,
                max_hold_ms=settings.connector_max_hold_ms,
                rate_limit_packets_per_second=settings.connector_rate_limit_packets_per_second,
                rate_limit_burst=settings.connector_rate_limit_burst,
                busy_poll_ms=settings.busy_poll_ms,
            ),
            receiving=self._receiving(),
        )

    def _receiving(self) -> LocalReceiving:
        """What the packet path needs to receive payments into the wallet addresses."""
        assert self.stream_secret is not None, "the STREAM secret is loaded before the connector"
        return LocalReceiving(
            server_secret=self.stream_secret.value,
            wallets=self.wallet_address_directory,
            connections=ReceiverConnections(),
            metrics=self.receive_metrics,
            payments=self.received_payments.tally,
        )

    def _rates_source(self, url: str) -> HttpRatesSource:
        self._rates_client = httpx.AsyncClient()
        return HttpRatesSource(url=url, client=self._rates_client)

    def _authenticate(self, token: str) -> ForwardingPeer | None:
        return self.directory.get(self.token_index.peer_for_token(token))

    def _handle(self, peer: object, prepare: Prepare, raw: bytes) -> Awaitable[bytes]:
        # Not a coroutine of its own: this module is not compiled, and every resumption of a
        # packet's chain of awaits would pass through an interpreted frame here.
        connector = self.connector
        if connector is None or not isinstance(peer, ForwardingPeer):
            return self._not_ready()
        return connector.handle(peer, prepare, raw)

    async def _not_ready(self) -> bytes:
        # Not started yet, or closing: say so in ILP terms (retry later).
        return encode_reject(
            Reject(
                code=IlpErrorCode.T03_CONNECTOR_BUSY,
                triggered_by=self.settings.node_address,
                message="the node is not ready",
            )
        )

    async def metrics(self) -> bytes:
        """The Prometheus text exposition: connector counters and each peer's liquidity."""
        self._liquidity_gauge.clear()
        if self.ledger is not None:
            peers = self.directory.all()
            accounts = await self.ledger.lookup_accounts([p.account.account_id for p in peers])
            balances = {a.id: AccountBalance.of(a).balance for a in accounts}
            for peer in peers:
                balance = balances.get(peer.account.account_id)
                if balance is not None:
                    self._liquidity_gauge.labels(
                        peer.label, str(peer.id), f"{peer.asset_code}/{peer.asset_scale}"
                    ).set(balance)
        return generate_latest(self.metrics_registry)

    def _webhook_delivery(self) -> DeliveryOptions | None:
        settings = self.settings
        if settings.webhook_url is None:
            return None
        secret = settings.signature_secret
        return DeliveryOptions(
            url=settings.webhook_url,
            timeout_ms=settings.webhook_timeout_ms,
            max_attempts=settings.webhook_max_retry,
            backoff_ms=settings.webhook_retry_backoff_ms,
            secret=secret.get_secret_value() if secret else None,
            signature_version=settings.signature_version,
        )

    def _services(self, ledger: Ledger) -> AdminServices:
        liquidity = LiquidityService(ledger=ledger)
        store = self.peering_store
        watch = self.webhooks.watch if self.webhooks is not None else None
        assets = AssetService(store=store, liquidity=liquidity, clock=self.clock, thresholds=watch)
        peers = PeerService(
            store=store,
            liquidity=liquidity,
            table=self.peer_table,
            clock=self.clock,
            thresholds=watch,
        )
        peering_liquidity = PeeringLiquidity(store=store, liquidity=liquidity)
        wallet_addresses = WalletAddressService(
            store=self.wallet_address_store,
            liquidity=liquidity,
            directory=self.wallet_address_directory,
            urls=self.open_payments_urls,
            clock=self.clock,
        )
        fees = FeeService(store=SqlFeeStore(self.database), clock=self.clock)
        return AdminServices(
            fees=fees,
            tenant=TenantService(
                store=SqlTenantStore(self.database),
                clock=self.clock,
                tenant_id=self.settings.operator_tenant_id,
                public_name=self.settings.instance_name,
                ilp_address=self.settings.node_address,
            ),
            assets=assets,
            peers=peers,
            liquidity=peering_liquidity,
            auto_peering=self._auto_peering_service(
                assets=assets, peers=peers, liquidity=peering_liquidity
            ),
            wallet_addresses=wallet_addresses,
            idempotency=SqlIdempotencyStore(self.database),
            clock=self.clock,
            tenant_id=self.settings.operator_tenant_id,
            instance_name=self.settings.instance_name,
            webhook_events=self.webhook_store,
            outgoing_payments=self._outgoing_payments(
                ledger, wallet_addresses=wallet_addresses, assets=assets, fees=fees
            ),
        )

    def _outgoing_payments(
        self,
        ledger: Ledger,
        *,
        wallet_addresses: WalletAddressService,
        assets: AssetService,
        fees: FeeService,
    ) -> OutgoingPaymentService:
        """Payments this node sends: through the connector (built later: found when a packet
        goes), to receivers resolved with SPSP (this node's own wallet addresses in memory)."""
        settings = self.settings
        assert self.rates is not None, "the rates come before the services"
        self._spsp_client = httpx.AsyncClient()
        return OutgoingPaymentService(
            store=self.outgoing_payment_store,
            money=PaymentMoney(ledger=ledger),
            path=LocalPaymentPath(
                connector=lambda: self.connector,
                own_address=settings.node_address,
                routing=self.routing,
                directory=self.directory,
                rates=self.rates,
            ),
            resolve_receiver=ReceiverResolver(
                client=self._spsp_client,
                urls=self.open_payments_urls,
                server=lambda: self.spsp,
            ),
            wallet_addresses=wallet_addresses,
            assets=assets,
            fees=fees,
            clock=self.clock,
            owner=self.payment_owner,
            slippage=Fraction(settings.slippage),
            # The embedded ledger's lock makes this process the only one on its database.
            only_process=settings.ledger_backend == "embedded",
        )

    def _auto_peering_service(
        self, *, assets: AssetService, peers: PeerService, liquidity: PeeringLiquidity
    ) -> AutoPeeringService:
        settings = self.settings
        self._auto_peering_client = httpx.AsyncClient()
        return AutoPeeringService(
            assets=assets,
            peers=peers,
            liquidity=liquidity,
            client=HttpPeeringClient(self._auto_peering_client),
            identity=NodeIdentity(
                ilp_address=settings.ilp_address,
                ilp_connector_url=settings.ilp_connector_url,
                instance_name=settings.instance_name,
                tenant_id=str(settings.operator_tenant_id),
            ),
            default_liquidity=settings.auto_peering_default_liquidity,
        )

    def _admin_api(self, services: AdminServices) -> ASGIApp:
        graphql: ASGIApp = create_graphql_app(services)
        secret = self.settings.admin_api_secret
        if secret is None:
            return JsonBodies(graphql)  # the same body limits as the signed API
        return SignedRequests(
            graphql,
            secret=secret.get_secret_value(),
            ttl_seconds=self.settings.admin_api_signature_ttl_seconds,
            version=self.settings.admin_api_signature_version,
            operator_tenant_id=self.settings.operator_tenant_id,
            clock=self.clock.now_ms,
            replays=self.replay_guard,
        )

    def _dashboard(self, services: AdminServices) -> ASGIApp:
        """The dashboard, over the same services as the Admin API."""
        self._check_client = httpx.AsyncClient()
        secret = self.settings.admin_api_secret
        return create_dashboard_app(
            DashboardServices(
                assets=services.assets,
                fees=services.fees,
                peers=services.peers,
                liquidity=services.liquidity,
                auto_peering=services.auto_peering,
                wallet_addresses=services.wallet_addresses,
                received_payments=self.received_payments,
                outgoing_payments=services.outgoing_payments,
                clock=services.clock,
                traffic=self.packet_metrics,
                checker=PeerChecker(
                    client=self._check_client, own_address=self.settings.node_address
                ),
                ilp_address=self.settings.node_address,
                instance_name=services.instance_name,
            ),
            admin_api_secret=secret.get_secret_value() if secret else None,
            # With a secret, logins survive restarts; without one, a key for this run only
            # (given by `ilpnode run --workers`, so that every worker accepts every session).
            session_key=session_key_for(secret.get_secret_value())
            if secret
            else self._dashboard_session_key or secrets.token_hex(32),
            secure_cookie=self.settings.dashboard_secure_cookie,
        )

    async def health(self) -> dict[str, str]:
        """The state of each dependency: "ok" or what is wrong with it. Never raises.

        `changeFeed` is advisory: "off" on SQLite (one process), "down" while other processes'
        changes may be missed (the node keeps serving what it has; /healthz stays 200, status
        degraded)."""
        database = "ok" if await self.database.ping() else "unreachable"
        if self._ledger_lock_lost:
            ledger = "lock lost"
        elif self.ledger is None:
            ledger = "starting"
        elif isinstance(self.ledger, EmbeddedLedger) and not self.ledger.available:
            ledger = "recovering"
        else:
            ledger = "ok"
        states = {"database": database, "ledger": ledger}
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
        self.connector = None
        self.graphql_app = None
        self.dashboard_app = None
        self.auto_peering = None
        self.spsp = None

    async def close(self) -> None:
        if self.services is not None:
            await self.services.outgoing_payments.close(
                timeout_seconds=self.settings.shutdown_grace_seconds
            )
        if self._spsp_client is not None:
            await self._spsp_client.aclose()
            self._spsp_client = None
        if self.change_feed is not None:
            await self.change_feed.close()
            self.change_feed = None
        self.graphql_app = None
        self.dashboard_app = None
        self.auto_peering = None
        self.spsp = None
        if self._auto_peering_client is not None:
            await self._auto_peering_client.aclose()
            self._auto_peering_client = None
        self.connector = None
        # After the servers stopped (no packet is in flight): the tally's last second.
        await self.received_payments.close()
        if self.webhooks is not None:
            await self.webhooks.close()
            self.webhooks = None
        if self._check_client is not None:
            await self._check_client.aclose()
            self._check_client = None
        if self._peer_client is not None:
            await self._peer_client.close()
            self._peer_client = None
        if self._rates_client is not None:
            await self._rates_client.aclose()
            self._rates_client = None
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
