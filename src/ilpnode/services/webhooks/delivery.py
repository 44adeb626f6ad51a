"""Delivering the outbox: each stored event POSTed to WEBHOOK_URL until it is answered 200.

Theory of operation
===================

One worker task per process. It claims the oldest event that is due and has attempts left
(`WebhookStore.claim_due`: on PostgreSQL a row lock that other processes skip, so no two send
the same attempt at once), POSTs it, and records the attempt in the same claim:

- HTTP 200 (only 200, as Rafiki) is delivered: never sent again;
- any other answer, a timeout (WEBHOOK_TIMEOUT ms) or a connection failure is a failed attempt,
  retried after `min(attempts, 6) * backoff` (Rafiki: 10 s, 20 s, … capped at 60 s), until
  WEBHOOK_MAX_RETRY attempts were made; then it stays listed in `webhookEvents`, undelivered.

The body is `{id, type, data}` as canonical JSON; with SIGNATURE_SECRET set it carries
`Rafiki-Signature: t=<ms>, v<SIGNATURE_VERSION>=<HMAC>` (`signature.py`). Delivery is at least
once: a process killed after the receiver answered and before the attempt was recorded sends
the event again (with the same id), so receivers should ignore an id they have handled.

The worker sleeps until the next event is due (at most `POLL_SECONDS`, so events recorded by
other processes and retries are picked up) or until `wake()` (this process recorded one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

import httpx

from ilpnode.clock import Clock
from ilpnode.services.webhooks.ports import WebhookEvent, WebhookStore
from ilpnode.services.webhooks.signature import SIGNATURE_HEADER, canonical_json, signature_header

__all__ = ["DeliveryOptions", "WebhookDelivery", "retry_delay_ms"]

logger = logging.getLogger("ilpnode.webhooks")

POLL_SECONDS: Final = 1.0
"""The longest the worker sleeps: other processes' events and retries are found this fast."""
BACKOFF_STEPS_MAX: Final = 6
"""Rafiki's cap: the delay grows with the attempts up to six times the back-off."""
FAILURE_PAUSE_SECONDS: Final = 1.0
"""After the database failed under the worker, it pauses this long."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryOptions:
    """The settings of delivery (WEBHOOK_* and SIGNATURE_*)."""

    url: str
    timeout_ms: int
    max_attempts: int
    backoff_ms: int
    secret: str | None
    signature_version: int


def retry_delay_ms(attempts: int, backoff_ms: int) -> int:
    """How long after its `attempts`-th failed attempt an event is tried again (Rafiki's)."""
    return min(attempts, BACKOFF_STEPS_MAX) * backoff_ms


class WebhookDelivery:
    """Sends the stored events (see the module docstring)."""

    def __init__(
        self,
        *,
        store: WebhookStore,
        client: httpx.AsyncClient,
        clock: Clock,
        options: DeliveryOptions,
    ) -> None:
        self._store = store
        self._client = client
        self._clock = clock
        self._options = options
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the worker task."""
        self._task = asyncio.create_task(self._run(), name="webhook-delivery")

    def wake(self) -> None:
        """An event was recorded: look now."""
        self._wake.set()

    async def close(self) -> None:
        """Stop; an attempt under way is abandoned (and made again by the next start)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def deliver_due(self) -> int:
        """Attempt every event due now, one at a time; returns how many attempts were made."""
        attempts = 0
        while await self._attempt_one():
            attempts += 1
        return attempts

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            failure: Exception | None = None
            try:
                await self.deliver_due()
                delay = await self._idle_seconds()
            except Exception as error:  # the database away: try again shortly
                failure = error
                delay = FAILURE_PAUSE_SECONDS
            if failure is not None:
                logger.warning("webhook delivery paused: %s", failure)
                failure = None
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()

    async def _idle_seconds(self) -> float:
        due = await self._store.next_due_at(max_attempts=self._options.max_attempts)
        if due is None:
            return POLL_SECONDS
        return min(POLL_SECONDS, max(0.0, (due - self._clock.now()).total_seconds()))

    async def _attempt_one(self) -> bool:
        options = self._options
        now = self._clock.now()
        async with self._store.claim_due(now=now, max_attempts=options.max_attempts) as claim:
            if claim is None:
                return False
            status = await self._post(claim.event)
            attempts = claim.attempts + 1
            if status == 200:
                await claim.record(status_code=status, retry_at=None)
                return True
            delay = retry_delay_ms(attempts, options.backoff_ms)
            await claim.record(
                status_code=status, retry_at=self._clock.now() + timedelta(milliseconds=delay)
            )
            logger.warning(
                "webhook %s (%s) not delivered, attempt %d of %d (%s)%s",
                claim.event.id,
                claim.event.type,
                attempts,
                options.max_attempts,
                f"HTTP {status}" if status is not None else "no answer",
                f"; again in {delay / 1000:g} s"
                if attempts < options.max_attempts
                else ": giving up",
            )
            return True

    async def _post(self, event: WebhookEvent) -> int | None:
        """POST one event; the HTTP status, or None when no answer came."""
        options = self._options
        body = canonical_json({"id": str(event.id), "type": event.type, "data": event.data})
        headers = {"Content-Type": "application/json"}
        if options.secret is not None:
            headers[SIGNATURE_HEADER] = signature_header(
                body,
                secret=options.secret,
                version=options.signature_version,
                timestamp_ms=int(self._clock.now().timestamp() * 1000),
            )
        try:
            response = await self._client.post(
                options.url,
                content=body.encode(),
                headers=headers,
                timeout=options.timeout_ms / 1000,
            )
        except httpx.HTTPError as error:
            logger.debug("webhook %s: %r", event.id, error)
            return None
        return response.status_code
