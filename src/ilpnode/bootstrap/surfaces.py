"""The node's surfaces besides the connector port: the admin server's app (health, metrics, the
Admin API, the dashboard), the Open Payments (SPSP) app and the auto-peering app.

Each app exists before start, so that its socket can be bound, and answers 503 until `open`
hands it what it serves; `close` takes that away again (the node closing, or its ledger lock
lost). The Admin API is signed when ADMIN_API_SECRET is set; the dashboard runs over the same
services.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping

import httpx
from starlette.applications import Starlette
from starlette.types import ASGIApp

from ilpnode import __version__
from ilpnode.admin.app import create_admin_app
from ilpnode.admin.auto_peering import create_auto_peering_app
from ilpnode.admin.graphql import AdminServices, create_graphql_app
from ilpnode.admin.json_body import JsonBodies
from ilpnode.admin.signed_requests import SignedRequests
from ilpnode.admin.spsp import create_open_payments_app
from ilpnode.clock import SystemClock
from ilpnode.config import Settings
from ilpnode.dashboard import (
    DashboardServices,
    PeerChecker,
    create_dashboard_app,
    session_key_for,
)
from ilpnode.services.payments import ReceivedPaymentLog, SpspServer
from ilpnode.services.peering.autopeering import AutoPeeringService
from ilpnode.services.replay_guard import ReplayGuard
from ilpnode.services.traffic import TrafficService

__all__ = ["Surfaces"]


class Surfaces:
    """The apps, and what each serves once the node has started (None until then)."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: SystemClock,
        replays: ReplayGuard,
        health: Callable[[], Awaitable[Mapping[str, str]]],
        metrics: Callable[[], Awaitable[bytes]],
        dashboard_session_key: str | None,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._replays = replays
        self._dashboard_session_key = dashboard_session_key
        self.graphql_app: ASGIApp | None = None
        self.dashboard_app: ASGIApp | None = None
        self.auto_peering: AutoPeeringService | None = None
        self.spsp: SpspServer | None = None
        self.admin_app: Starlette = create_admin_app(
            health=health,
            version=__version__,
            ilp_address=settings.node_address,
            graphql=lambda: self.graphql_app,
            dashboard=lambda: self.dashboard_app,
            metrics=metrics,
            metrics_token=(
                settings.metrics_token.get_secret_value() if settings.metrics_token else None
            ),
            metrics_open=settings.admin_api_secret is None,
            advisory=frozenset({"changeFeed"}),
        )
        self.open_payments_app: ASGIApp = create_open_payments_app(server=self.current_spsp)
        peering_secret = settings.auto_peering_secret
        self.auto_peering_app: Starlette = create_auto_peering_app(
            service=lambda: self.auto_peering,
            secret=peering_secret.get_secret_value() if peering_secret else None,
        )

    def current_spsp(self) -> SpspServer | None:
        """The SPSP server while the node serves, else None."""
        return self.spsp

    def open(
        self,
        services: AdminServices,
        *,
        spsp: SpspServer,
        received_payments: ReceivedPaymentLog,
        traffic: TrafficService,
        check_client: httpx.AsyncClient,
    ) -> None:
        """Serve the Admin API, the dashboard, auto-peering and SPSP over the services."""
        self.graphql_app = self._admin_api(services)
        self.auto_peering = services.auto_peering
        self.dashboard_app = self._dashboard(
            services,
            received_payments=received_payments,
            traffic=traffic,
            check_client=check_client,
        )
        self.spsp = spsp

    def close(self) -> None:
        """Answer 503 again."""
        self.graphql_app = None
        self.dashboard_app = None
        self.auto_peering = None
        self.spsp = None

    def _admin_api(self, services: AdminServices) -> ASGIApp:
        settings = self._settings
        graphql: ASGIApp = create_graphql_app(services)
        secret = settings.admin_api_secret
        if secret is None:
            return JsonBodies(graphql)  # the same body limits as the signed API
        return SignedRequests(
            graphql,
            secret=secret.get_secret_value(),
            ttl_seconds=settings.admin_api_signature_ttl_seconds,
            version=settings.admin_api_signature_version,
            operator_tenant_id=settings.operator_tenant_id,
            clock=self._clock.now_ms,
            replays=self._replays,
        )

    def _dashboard(
        self,
        services: AdminServices,
        *,
        received_payments: ReceivedPaymentLog,
        traffic: TrafficService,
        check_client: httpx.AsyncClient,
    ) -> ASGIApp:
        """The dashboard, over the same services as the Admin API."""
        settings = self._settings
        secret = settings.admin_api_secret
        return create_dashboard_app(
            DashboardServices(
                assets=services.assets,
                fees=services.fees,
                peers=services.peers,
                liquidity=services.liquidity,
                auto_peering=services.auto_peering,
                wallet_addresses=services.wallet_addresses,
                received_payments=received_payments,
                outgoing_payments=services.outgoing_payments,
                clock=services.clock,
                traffic=traffic,
                checker=PeerChecker(client=check_client, own_address=settings.node_address),
                ilp_address=settings.node_address,
                instance_name=services.instance_name,
            ),
            admin_api_secret=secret.get_secret_value() if secret else None,
            # With a secret, logins survive restarts; without one, a key for this run only
            # (given by `ilpnode run --workers`, so that every worker accepts every session).
            session_key=session_key_for(secret.get_secret_value())
            if secret
            else self._dashboard_session_key or secrets.token_hex(32),
            secure_cookie=settings.dashboard_secure_cookie,
        )
