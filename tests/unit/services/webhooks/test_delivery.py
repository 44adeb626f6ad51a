"""The delivery worker over a fake outbox and httpx's mock transport: only 200 delivers,
anything else is retried with Rafiki's back-off until the maximum, bodies are signed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import httpx
import pytest

from ilpnode.services.webhooks import (
    SIGNATURE_HEADER,
    DeliveryOptions,
    WebhookDelivery,
    WebhookEvent,
    retry_delay_ms,
    verify_signature,
)
from tests.support import ns_of

from ..peering.fakes import FakeStore
from .fakes import Delivery, FakeWebhookStore


class WallClock:
    def __init__(self) -> None:
        self.value = datetime(2027, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self.value

    def now_ns(self) -> int:
        return ns_of(self.now())

    def advance(self, milliseconds: int) -> None:
        self.value += timedelta(milliseconds=milliseconds)


class Receiver:
    """Answers with the next status of `statuses` (the last one forever); keeps the requests."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return httpx.Response(status)


def setup(
    receiver: object, *, secret: str | None = "whsec", max_attempts: int = 3
) -> tuple[WebhookDelivery, FakeWebhookStore, WallClock, WebhookEvent]:
    clock = WallClock()
    store = FakeWebhookStore(FakeStore())
    event = WebhookEvent(
        id=uuid4(),
        type="peer.liquidity_low",
        data={"id": "p", "balance": "5", "liquidityThreshold": "10"},
        created_at=clock.now(),
    )
    store.events.append(event)
    store.deliveries[event.id] = Delivery(process_at=clock.now())
    client = httpx.AsyncClient(transport=httpx.MockTransport(receiver))  # type: ignore[arg-type]
    delivery = WebhookDelivery(
        store=store,
        client=client,
        clock=clock,
        options=DeliveryOptions(
            url="http://receiver.test/webhooks",
            timeout_ms=2_000,
            max_attempts=max_attempts,
            backoff_ms=10_000,
            secret=secret,
            signature_version=1,
        ),
    )
    return delivery, store, clock, event


def test_rafikis_back_off() -> None:
    assert [retry_delay_ms(n, 10_000) for n in (1, 2, 6, 7, 50)] == [
        10_000,
        20_000,
        60_000,
        60_000,
        60_000,
    ]


async def test_a_200_delivers_once_signed_and_in_rafikis_body() -> None:
    receiver = Receiver(200)
    delivery, store, clock, event = setup(receiver)

    assert await delivery.deliver_due() == 1
    clock.advance(3_600_000)
    assert await delivery.deliver_due() == 0

    [request] = receiver.requests
    assert request.method == "POST"
    assert str(request.url) == "http://receiver.test/webhooks"
    assert request.headers["content-type"] == "application/json"
    body = json.loads(request.content)
    assert body == {"id": str(event.id), "type": event.type, "data": event.data}
    assert verify_signature(request.headers[SIGNATURE_HEADER], body, secret="whsec", version=1)
    timestamp = int(request.headers[SIGNATURE_HEADER].split(",")[0].removeprefix("t="))
    assert timestamp == int(datetime(2027, 1, 1, tzinfo=UTC).timestamp() * 1000)
    assert store.deliveries[event.id] == Delivery(attempts=1, status_code=200, process_at=None)


@pytest.mark.parametrize("status", [201, 204, 302, 400, 500, 503])
async def test_anything_but_200_is_retried_later_with_the_same_id(status: int) -> None:
    receiver = Receiver(status, 200)
    delivery, store, clock, event = setup(receiver)

    assert await delivery.deliver_due() == 1
    state = store.deliveries[event.id]
    assert (state.attempts, state.status_code) == (1, status)
    assert state.process_at == clock.now() + timedelta(seconds=10)
    clock.advance(9_999)
    assert await delivery.deliver_due() == 0  # not yet due
    clock.advance(1)
    assert await delivery.deliver_due() == 1

    ids = [json.loads(r.content)["id"] for r in receiver.requests]
    assert ids == [str(event.id), str(event.id)]
    assert store.deliveries[event.id].process_at is None


async def test_it_gives_up_after_the_maximum_attempts() -> None:
    receiver = Receiver(500)
    delivery, store, clock, event = setup(receiver, max_attempts=3)

    for _ in range(10):
        await delivery.deliver_due()
        clock.advance(60_000)

    assert len(receiver.requests) == 3
    assert store.deliveries[event.id].attempts == 3
    assert await store.next_due_at(max_attempts=3) is None


async def test_no_answer_is_a_failed_attempt() -> None:
    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    delivery, store, _clock, event = setup(unreachable)

    assert await delivery.deliver_due() == 1
    assert store.deliveries[event.id].attempts == 1
    assert store.deliveries[event.id].status_code is None


async def test_without_a_secret_there_is_no_signature() -> None:
    receiver = Receiver(200)
    delivery, _store, _clock, _event = setup(receiver, secret=None)

    await delivery.deliver_due()

    assert SIGNATURE_HEADER not in receiver.requests[0].headers
