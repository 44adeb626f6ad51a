"""An in-memory `WebhookStore` over the peering fakes' state, settling as the SQL store does."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID, uuid4

from ilpnode.services.peering import Page, PageRequest, paginate
from ilpnode.services.webhooks import (
    AccountKind,
    AlertState,
    AssetRef,
    Observation,
    Settled,
    WatchedAccount,
    WebhookEvent,
    event_data,
    event_type_for,
)

from ..peering.fakes import FakeStore


@dataclass
class StoredAlert:
    state: AlertState
    thresholds: tuple[int | None, int | None]


@dataclass
class Delivery:
    attempts: int = 0
    status_code: int | None = None
    process_at: datetime | None = None


@dataclass
class FakeClaim:
    event: WebhookEvent
    attempts: int
    store: FakeWebhookStore

    async def record(self, *, status_code: int | None, retry_at: datetime | None) -> None:
        delivery = self.store.deliveries[self.event.id]
        delivery.attempts += 1
        delivery.status_code = status_code
        delivery.process_at = retry_at


@dataclass
class FakeWebhookStore:
    peering: FakeStore
    alerts: dict[UUID, StoredAlert] = field(default_factory=dict)
    events: list[WebhookEvent] = field(default_factory=list)
    deliveries: dict[UUID, Delivery] = field(default_factory=dict)
    failing: bool = False
    """While set, `settle` raises as a database that is away does."""

    async def watched_accounts(self, ids: Collection[UUID] | None = None) -> list[WatchedAccount]:
        state = self.peering.state
        found: list[WatchedAccount] = []
        for peer in state.peers.values():
            asset = state.assets[peer.asset_id]
            if peer.liquidity_threshold is None and peer.liquidity_high_threshold is None:
                continue
            found.append(
                WatchedAccount(
                    id=peer.id,
                    kind=AccountKind.PEER,
                    asset=AssetRef(id=asset.id, code=asset.code, scale=asset.scale),
                    low=peer.liquidity_threshold,
                    high=peer.liquidity_high_threshold,
                )
            )
        for asset in state.assets.values():
            if asset.deleted_at is not None or (
                asset.liquidity_threshold is None and asset.liquidity_high_threshold is None
            ):
                continue
            found.append(
                WatchedAccount(
                    id=asset.id,
                    kind=AccountKind.ASSET,
                    asset=AssetRef(id=asset.id, code=asset.code, scale=asset.scale),
                    low=asset.liquidity_threshold,
                    high=asset.liquidity_high_threshold,
                )
            )
        return [a for a in found if ids is None or a.id in ids]

    async def alert_ids(self) -> set[UUID]:
        return set(self.alerts)

    async def forget(self, ids: Collection[UUID]) -> None:
        for owner_id in ids:
            self.alerts.pop(owner_id, None)

    async def settle(self, observations: Sequence[Observation], *, now: datetime) -> list[Settled]:
        if self.failing:
            raise ConnectionError("the database is away")
        results = []
        for observation in observations:
            account = observation.account
            state = account.state_of(observation.balance)
            stored = self.alerts.get(account.id)
            if stored is None or stored.thresholds != account.thresholds:
                if observation.arm:
                    self.alerts[account.id] = StoredAlert(state, account.thresholds)
                    results.append(Settled(account_id=account.id, state=state))
                else:
                    results.append(Settled(account_id=account.id, state=None))
                continue
            if stored.state is state:
                results.append(Settled(account_id=account.id, state=state))
                continue
            stored.state = state
            event_type = event_type_for(account, state)
            event = None
            if event_type is not None:
                event = WebhookEvent(
                    id=uuid4(),
                    type=event_type.value,
                    data=event_data(account, event_type, observation.balance),
                    created_at=now,
                )
                self.events.append(event)
                self.deliveries[event.id] = Delivery(process_at=now)
            results.append(Settled(account_id=account.id, state=state, event=event))
        return results

    @asynccontextmanager
    async def claim_due(
        self, *, now: datetime, max_attempts: int
    ) -> AsyncIterator[FakeClaim | None]:
        for event in self.events:
            delivery = self.deliveries[event.id]
            due = delivery.process_at
            if due is not None and due <= now and delivery.attempts < max_attempts:
                yield FakeClaim(event=event, attempts=delivery.attempts, store=self)
                return
        yield None

    async def next_due_at(self, *, max_attempts: int) -> datetime | None:
        due = [
            d.process_at
            for d in self.deliveries.values()
            if d.process_at is not None and d.attempts < max_attempts
        ]
        return min(due, default=None)

    async def events_page(
        self,
        request: PageRequest,
        *,
        types_in: Collection[str] = (),
        types_not_in: Collection[str] = (),
    ) -> Page[WebhookEvent]:
        chosen = [
            e
            for e in self.events
            if (not types_in or e.type in types_in) and e.type not in types_not_in
        ]
        return paginate(chosen, request)
