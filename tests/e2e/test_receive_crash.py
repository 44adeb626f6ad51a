"""kill -9 in the middle of a STREAM payment into a wallet address: after the restart the wallet
address holds exactly the packets the node fulfilled, never more: every Fulfill the sender saw,
plus at most some of the packets whose answer the kill cut off; no reservation is left behind;
the list of payments received shows no more than that; and the connection (stateless: its token
is in the address) takes money again at once."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import signal
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from ilpnode.ilp import Fulfill, Prepare, Reject, decode_reply, encode_prepare
from ilpnode.ilp.stream import StreamMoney
from tests.unit.ilp.stream.sender import Sender

from .network import NodeProcess, restart_node, start_node
from .test_received_payments import listed

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LIQUIDITY = 10**12
CONCURRENCY = 8
TOKEN = "sender-token"


@dataclass
class Payment:
    """One STREAM payment as its sender sees it: what was fulfilled, what got no answer."""

    destination: str
    sender: Sender
    fulfilled: int = 0
    packets: int = 0
    unanswered: list[int] = field(default_factory=list)  # amounts cut off by the kill
    rejects: dict[str, int] = field(default_factory=dict)
    refusals: list[str] = field(default_factory=list)  # HTTP answers other than 200
    amounts: itertools.count[int] = field(default_factory=lambda: itertools.count(1_000))

    def prepare(self) -> Prepare:
        data, condition = self.sender.prepare(StreamMoney(stream_id=1, shares=1))
        return Prepare(
            amount=next(self.amounts),  # every packet a different amount
            expires_at=datetime.now(UTC) + timedelta(seconds=3),
            execution_condition=condition,
            destination=self.destination,
            data=data,
        )


async def _pay(node: NodeProcess, payment: Payment, stop_after_s: float) -> None:
    """Send the payment's packets, CONCURRENCY at a time, until the node dies."""
    deadline = time.monotonic() + stop_after_s
    headers = {"authorization": f"Bearer {TOKEN}", "content-type": "application/octet-stream"}
    async with httpx.AsyncClient(timeout=5) as http:

        async def worker() -> None:
            while time.monotonic() < deadline:
                prepare = payment.prepare()
                try:
                    response = await http.post(
                        node.connector_url, content=encode_prepare(prepare), headers=headers
                    )
                except httpx.HTTPError:
                    payment.unanswered.append(prepare.amount)
                    return  # the node is gone
                if response.status_code != 200:
                    payment.refusals.append(f"{response.status_code} {response.text[:200]}")
                    return
                reply = decode_reply(response.content)
                if isinstance(reply, Fulfill):
                    assert hashlib.sha256(reply.fulfillment).digest() == prepare.execution_condition
                    payment.fulfilled += prepare.amount
                    payment.packets += 1
                elif isinstance(reply, Reject):
                    payment.rejects[reply.code] = payment.rejects.get(reply.code, 0) + 1

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


def _subset_sums(amounts: list[int]) -> set[int]:
    sums = {0}
    for amount in amounts:
        sums |= {s + amount for s in sums}
    return sums


def _spsp(node: NodeProcess, path: str) -> tuple[str, bytes]:
    """SPSP: the destination address and shared secret of a new connection to `path`."""
    response = httpx.get(
        f"{node.open_payments_url}/{path}",
        headers={"accept": "application/spsp4+json"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    secret = body["shared_secret"]
    return body["destination_account"], base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))


@pytest.mark.parametrize("durability", ["power-loss", "process-crash"])
def test_sigkill_during_a_stream_payment_credits_only_fulfilled_packets(
    tmp_path: Path, durability: str
) -> None:
    node = start_node(tmp_path, "crash", "test.crash", LEDGER_DURABILITY=durability)
    try:
        usd = node.create_asset("USD", 2)
        peer = node.create_peer(
            asset_id=usd,
            address="test.sender",
            incoming_token=TOKEN,
            outgoing_token="unused",
            endpoint="http://127.0.0.1:9/unused",
            liquidity=LIQUIDITY,
        )
        wallet = node.create_wallet_address(usd, "alice")
        destination, shared_secret = _spsp(node, "alice")
        payment = Payment(destination, Sender(shared_secret))

        async def run() -> None:
            paying = asyncio.create_task(_pay(node, payment, stop_after_s=20))
            while payment.packets < 300:  # well into the payment
                if paying.done():
                    await paying  # its exception, if any
                    raise AssertionError(f"the payment stopped before the kill: {payment}")
                await asyncio.sleep(0.01)
            node.process.send_signal(signal.SIGKILL)
            await paying

        asyncio.run(run())
        node.process.wait()
    finally:
        node.stop()
    assert (payment.rejects, payment.refusals) == ({}, []), payment
    assert payment.unanswered, "the kill cut off no packet"

    node = restart_node(tmp_path, node)
    try:
        # Reservations of the packets cut off were never posted: released at their timeout.
        deadline = time.monotonic() + 30
        while node.liquidity(peer) + node.wallet_address_liquidity(wallet["id"]) != LIQUIDITY:
            assert time.monotonic() < deadline, "reservations were not released"
            time.sleep(0.5)
        booked = node.wallet_address_liquidity(wallet["id"])
        # Every Fulfill the sender saw is booked; beyond it, only packets whose answer the kill
        # cut off (the node may have booked one and died before answering): a sum of some of
        # their (distinct) amounts, nothing else.
        assert booked - payment.fulfilled in _subset_sums(payment.unanswered), (
            booked,
            payment.fulfilled,
            payment.unanswered,
        )
        # The list of payments received may miss the last second before the kill (it is
        # written every second), never more than was booked.
        [written] = listed(node, wallet["id"]) or [0]
        assert written <= booked, (written, booked)

        # The connection survives the restart: its next packet is received and booked.
        prepare = payment.prepare()
        with httpx.Client(timeout=10) as http:
            response = http.post(
                node.connector_url,
                content=encode_prepare(prepare),
                headers={"authorization": f"Bearer {TOKEN}"},
            )
        assert isinstance(decode_reply(response.content), Fulfill), response.content
        assert node.wallet_address_liquidity(wallet["id"]) == booked + prepare.amount
    finally:
        node.stop()
