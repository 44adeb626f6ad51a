"""What the webhook services need from storage: the watched accounts, the durable alert states
with their outbox of events, and the events' delivery bookkeeping.

`ilpnode.storage.webhook_store` implements it with SQLAlchemy Core on SQLite and PostgreSQL; the
unit tests use an in-memory fake.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from ilpnode.services.peering.pagination import Page, PageRequest
from ilpnode.services.webhooks.alerts import AlertState, WatchedAccount

__all__ = ["Claim", "Observation", "Settled", "WebhookEvent", "WebhookStore"]


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookEvent:
    """One event as stored and listed (`webhookEvents`); `data` is its JSON object."""

    id: UUID
    type: str
    data: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Observation:
    """A balance seen for a watched account.

    `arm`: the account's thresholds were just read from the database (a threshold was set or
    changed, the node started, a reconciliation), so a stored state with other thresholds (or
    none) is replaced by the state of this balance, without an event. Otherwise the observation
    is a balance change seen by this process, judged against the stored state only when the
    stored thresholds are the ones it was judged with.
    """

    account: WatchedAccount
    balance: int
    arm: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Settled:
    """What `settle` made of an observation: the stored state afterwards (None: no alert state
    with these thresholds is stored, the observation was skipped) and the event it recorded."""

    account_id: UUID
    state: AlertState | None
    event: WebhookEvent | None = None


class Claim(Protocol):
    """An event due for delivery, held by this process until the claim's block ends."""

    @property
    def event(self) -> WebhookEvent: ...

    @property
    def attempts(self) -> int:
        """Attempts made before this one."""
        ...

    async def record(self, *, status_code: int | None, retry_at: datetime | None) -> None:
        """Count this attempt: `retry_at` None means delivered (never again), else when to try
        again; `status_code` is the receiver's answer (None: no answer)."""
        ...


class WebhookStore(Protocol):
    """Alert states, the events outbox and its delivery (see the module docstring)."""

    async def watched_accounts(self, ids: Collection[UUID] | None = None) -> list[WatchedAccount]:
        """Every active asset and every peer with a threshold (or only those of `ids`)."""
        ...

    async def alert_ids(self) -> set[UUID]:
        """The accounts that have a stored alert state."""
        ...

    async def forget(self, ids: Collection[UUID]) -> None:
        """Drop the stored alert states of accounts that are no longer watched."""
        ...

    async def settle(self, observations: Sequence[Observation], *, now: datetime) -> list[Settled]:
        """Bring the stored alert states in line with the observations, in order, in one
        transaction. A state that changes into LOW or HIGH records its event in the same
        transaction; the change is conditional on the stored state and thresholds, so of several
        processes that see the same crossing exactly one records it."""
        ...

    def claim_due(
        self, *, now: datetime, max_attempts: int
    ) -> AbstractAsyncContextManager[Claim | None]:
        """The oldest event due by `now` with fewer than `max_attempts` attempts, held so that
        no other process delivers it meanwhile (PostgreSQL: a row lock, skipped by the others),
        or None."""
        ...

    async def next_due_at(self, *, max_attempts: int) -> datetime | None:
        """When the next undelivered event with attempts left is due, or None."""
        ...

    async def events_page(
        self,
        request: PageRequest,
        *,
        types_in: Collection[str] = (),
        types_not_in: Collection[str] = (),
    ) -> Page[WebhookEvent]:
        """A page of events (keyset paging, as `services.peering.pagination`), only of the
        types in `types_in` when it is not empty, never of those in `types_not_in`."""
        ...
