"""Outgoing payments: Send test payment from a peer's page, the Payments list, a payment's page.

Send test payment pays a receiver at the peer (a payment pointer or wallet address URL) a small
amount from the operator's liquidity of the peer's asset, through the same service as the Admin
API's `sendPayment`. The service answers once the payment is funded (or refused); a test
payment is a few packets, so the route then waits up to `TEST_PAYMENT_WAIT_SECONDS` for it to
end, remembers it in the session for the peer's page (which shows its outcome in words), and
goes back there. A payment still running then shows as such, with a link to its own page, which
reloads itself every `REFRESH_SECONDS` until the payment is over (no JavaScript).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final
from uuid import UUID

from starlette.datastructures import FormData
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ilpnode.dashboard.forms import FormState, typed_values
from ilpnode.dashboard.forms.test_payment import TEST_PAYMENT_FIELDS, parse_test_payment
from ilpnode.dashboard.payment_outcome import (
    Outcome,
    PaymentFigures,
    describe,
    refusal_words,
)
from ilpnode.dashboard.rendering import Pages
from ilpnode.dashboard.views import page_from_query, pager
from ilpnode.services.outgoing_payments import OutgoingPayment, PaymentRefused, SendPayment
from ilpnode.services.peering import Asset, Peer
from ilpnode.uuids import parse_uuid

__all__ = [
    "REFRESH_SECONDS",
    "TEST_PAYMENT_WAIT_SECONDS",
    "LastTestPayment",
    "last_test_payment",
    "routes",
    "send_test_payment",
]

TEST_PAYMENT_WAIT_SECONDS: Final = 5.0
"""How long Send test payment waits for its payment to end before showing it as running."""
REFRESH_SECONDS: Final = 1
"""How often a running payment's page reloads itself."""
_POLL_SECONDS: Final = 0.05
_SESSION_KEY: Final = "test_payments"
_REMEMBERED_MAX: Final = 8  # peers whose last test payment the session keeps (cookie < 4 kB)
_SECTION: Final = "payments"

Rerender = Callable[[dict[str, FormState], int], Awaitable[Response]]


def figures_of(payment: OutgoingPayment) -> PaymentFigures:
    """What the words are made of."""
    return PaymentFigures(
        state=payment.state.value,
        source_code=payment.asset_code,
        source_scale=payment.asset_scale,
        sent=payment.sent,
        fee=payment.fee,
        debited=payment.debit_amount,
        delivered=payment.delivered,
        receive_code=payment.receive_asset_code,
        receive_scale=payment.receive_asset_scale,
        packets=payment.packets,
        error=payment.error,
        seconds=max(0.0, (payment.updated_at - payment.created_at).total_seconds()),
    )


@dataclass(frozen=True, slots=True)
class LastTestPayment:
    """The last test payment sent from a peer's page in this session, and its outcome."""

    payment: OutgoingPayment
    outcome: Outcome
    elsewhere: str | None  # set when the receiver's address is not under the peer's routes


def _under_peer(peer: Peer, destination: str | None) -> bool:
    if destination is None:
        return True
    prefixes = (peer.static_ilp_address, *peer.routes)
    return any(destination == p or destination.startswith(f"{p}.") for p in prefixes)


async def last_test_payment(
    pages: Pages, request: HTTPConnection, peer: Peer
) -> LastTestPayment | None:
    """The peer's last test payment from this session, read afresh, or None."""
    remembered = request.session.get(_SESSION_KEY, {})
    payment_id = parse_uuid(remembered.get(str(peer.id)) if isinstance(remembered, dict) else None)
    if payment_id is None:
        return None
    payment = await pages.services.outgoing_payments.get(payment_id)
    if payment is None:
        return None
    elsewhere = None
    if not _under_peer(peer, payment.destination_account):
        elsewhere = (
            f"The receiver's ILP address, {payment.destination_account}, is not under this "
            f"peer's address or routes: the packets went where the routing table sends them."
        )
    return LastTestPayment(payment, describe(figures_of(payment)), elsewhere)


def _remember(request: HTTPConnection, peer_id: UUID, payment_id: UUID) -> None:
    remembered = request.session.get(_SESSION_KEY, {})
    kept = dict(remembered) if isinstance(remembered, dict) else {}
    kept.pop(str(peer_id), None)
    kept[str(peer_id)] = str(payment_id)
    request.session[_SESSION_KEY] = dict(list(kept.items())[-_REMEMBERED_MAX:])


async def send_test_payment(
    pages: Pages, request: Request, form: FormData, peer: Peer, asset: Asset, rerender: Rerender
) -> Response:
    """The Send test payment POST of a peer's page."""
    service = pages.services.outgoing_payments
    wanted, state = parse_test_payment(
        typed_values(form, TEST_PAYMENT_FIELDS), scale=asset.scale, code=asset.code
    )
    if wanted is None:
        return await rerender({"test_payment": state}, 400)
    answer = await service.send(
        SendPayment(
            receiver=wanted.receiver,
            id=str(wanted.payment_id),
            asset_id=str(asset.id),
            debit_amount=wanted.amount,
        )
    )
    if isinstance(answer, PaymentRefused):
        state.message = refusal_words(answer.code, answer.message)
        return await rerender({"test_payment": state}, 409)
    deadline = time.monotonic() + TEST_PAYMENT_WAIT_SECONDS
    payment: OutgoingPayment | None = answer
    while payment is not None and not payment.done and time.monotonic() < deadline:
        await asyncio.sleep(_POLL_SECONDS)
        payment = await service.get(answer.id)
    _remember(request, peer.id, answer.id)
    return pages.redirect(request, f"/peers/{peer.id}#test-payment-title")


def routes(pages: Pages) -> list[BaseRoute]:
    service = pages.services.outgoing_payments

    async def listing(request: Request) -> Response:
        page = await service.page(page_from_query(request.query_params))
        rows = [(payment, describe(figures_of(payment))) for payment in page.items]
        return pages.render(
            request,
            "payments.html",
            {"rows": rows, "pager": pager(page, "/payments")},
            section=_SECTION,
        )

    async def detail(request: Request) -> Response:
        payment = await service.get(request.path_params["payment_id"])
        if payment is None:
            return pages.not_found(request, "There is no such payment.")
        return pages.render(
            request,
            "payment.html",
            {
                "payment": payment,
                "outcome": describe(figures_of(payment)),
                "refresh_seconds": None if payment.done else REFRESH_SECONDS,
            },
            section=_SECTION,
        )

    return [
        Route("/payments", listing, methods=["GET"]),
        Route("/payments/{payment_id}", detail, methods=["GET"]),
    ]
