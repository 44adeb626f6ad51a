"""Liquidity webhooks and the change feed: what starts once the services are loaded.

The webhooks watch the ledger's balances and record an event per threshold crossing (sent to
WEBHOOK_URL when one is set). The change feed (PostgreSQL only) lets other processes' changes
to peers, wallet addresses and thresholds reach this process's memory.
"""

from __future__ import annotations

import logging

from ilpnode.admin.graphql import AdminServices
from ilpnode.bootstrap.errors import StartupError
from ilpnode.bootstrap.ledger import OpenLedger
from ilpnode.clock import SystemClock
from ilpnode.config import Settings
from ilpnode.services.webhooks import DeliveryOptions, LiquidityWebhooks, WatchingFeedTarget
from ilpnode.storage.change_feed import ChangeFeed
from ilpnode.storage.database import asyncpg_dsn
from ilpnode.storage.webhook_store import SqlWebhookStore

__all__ = ["change_feed", "liquidity_webhooks", "start_change_feed", "start_webhooks"]

logger = logging.getLogger("ilpnode")


def liquidity_webhooks(
    settings: Settings, ledger: OpenLedger, *, store: SqlWebhookStore, clock: SystemClock
) -> LiquidityWebhooks:
    """The webhooks over `ledger`, delivering to WEBHOOK_URL if set (not started)."""
    return LiquidityWebhooks(store=store, ledger=ledger, clock=clock, delivery=_delivery(settings))


async def start_webhooks(webhooks: LiquidityWebhooks, ledger: OpenLedger) -> None:
    """Watch the ledger's balances, settle what was missed while down, start delivering.

    Raises:
        StartupError: the webhooks' state cannot be read or settled.
    """
    ledger.watch_balances(webhooks.watch.watched, webhooks.watch.balances_changed)
    try:
        await webhooks.start()
    except Exception as error:
        raise StartupError(f"cannot start the liquidity webhooks: {error}") from error


def change_feed(
    settings: Settings, *, services: AdminServices, webhooks: LiquidityWebhooks
) -> ChangeFeed:
    """What hears the other processes' changes (they may share this PostgreSQL database)."""
    return ChangeFeed(
        dsn=asyncpg_dsn(settings.database_url),
        target=WatchingFeedTarget(peers=services.peers, watch=webhooks.watch),
        reconcile_seconds=settings.change_feed_reconcile_seconds,
        wallet_addresses=services.wallet_addresses,
    )


async def start_change_feed(feed: ChangeFeed, settings: Settings) -> None:
    """Start listening (never raises: a feed that cannot connect yet keeps trying)."""
    await feed.start()
    logger.info(
        "change feed %s (reconciling every %g s)",
        feed.state,
        settings.change_feed_reconcile_seconds,
    )


def _delivery(settings: Settings) -> DeliveryOptions | None:
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
