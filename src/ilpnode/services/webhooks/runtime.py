"""The liquidity webhooks of one node process: the watch, the delivery worker and their client,
started and stopped together; and the change feed's target that tells the watch of thresholds
other processes changed."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from uuid import UUID

import httpx

from ilpnode.clock import Clock
from ilpnode.ledger import Ledger
from ilpnode.services.peering import PeerService, SyncCounts
from ilpnode.services.webhooks.delivery import DeliveryOptions, WebhookDelivery
from ilpnode.services.webhooks.ports import WebhookStore
from ilpnode.services.webhooks.watch import LiquidityWatch

__all__ = ["LiquidityWebhooks", "WatchingFeedTarget"]

logger = logging.getLogger("ilpnode.webhooks")


class LiquidityWebhooks:
    """`watch` records events; with `delivery` options (a WEBHOOK_URL) they are also sent."""

    def __init__(
        self,
        *,
        store: WebhookStore,
        ledger: Ledger,
        clock: Clock,
        delivery: DeliveryOptions | None,
    ) -> None:
        self._client: httpx.AsyncClient | None = None
        self.delivery: WebhookDelivery | None = None
        if delivery is not None:
            # Redirects are not followed: the receiver is the configured URL, nothing else.
            self._client = httpx.AsyncClient(follow_redirects=False)
            self.delivery = WebhookDelivery(
                store=store, client=self._client, clock=clock, options=delivery
            )
        sender = self.delivery
        self.watch = LiquidityWatch(
            store=store,
            ledger=ledger,
            clock=clock,
            on_event=sender.wake if sender is not None else lambda: None,
        )

    async def start(self) -> None:
        """Settle every watched account (recording what was missed while down), then watch
        and deliver."""
        await self.watch.start()
        if self.delivery is not None:
            self.delivery.start()
        else:
            logger.info("WEBHOOK_URL is not set: liquidity events are recorded, not sent")

    async def close(self) -> None:
        """Stop watching and delivering (what is pending stays in the outbox)."""
        await self.watch.close()
        if self.delivery is not None:
            await self.delivery.close()
        if self._client is not None:
            await self._client.aclose()
            self._client = None


class WatchingFeedTarget:
    """The change feed's target: the peers, and the watch for the thresholds of what changed."""

    def __init__(self, *, peers: PeerService, watch: LiquidityWatch) -> None:
        self._peers = peers
        self._watch = watch

    async def refresh_peers(
        self, peer_ids: Iterable[UUID], *, asset_ids: Iterable[UUID] = ()
    ) -> SyncCounts:
        """`PeerService.refresh_peers`, then re-read these peers' and assets' thresholds."""
        peers, assets = list(peer_ids), list(asset_ids)
        counts = await self._peers.refresh_peers(peers, asset_ids=assets)
        self._watch.refresh_soon([*peers, *assets])
        return counts

    async def reconcile(self) -> SyncCounts:
        """`PeerService.reconcile` (the watch reconciles on its own schedule)."""
        return await self._peers.reconcile()
