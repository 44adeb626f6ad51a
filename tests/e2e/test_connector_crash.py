"""kill -9 in the middle of forwarding: after the restart every Fulfill the sender got is booked,
nothing the fulfiller did not fulfil is booked, and no reservation is left behind."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import httpx
import pytest

from ilpnode.ilp import Fulfill, decode_reply, encode_prepare

from .network import fulfiller, prepare_to, restart_node, start_node

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LIQUIDITY = 1_000_000


async def _traffic(url: str, token: str, stop_after_s: float) -> int:
    """Send packets of 1 at concurrency 20 until the node dies; count the Fulfills received."""
    fulfilled = 0
    deadline = time.monotonic() + stop_after_s
    async with httpx.AsyncClient(timeout=5) as http:

        async def worker(n: int) -> None:
            nonlocal fulfilled
            i = 0
            while time.monotonic() < deadline:
                i += 1
                body = encode_prepare(prepare_to(f"test.fulfiller.w{n}.p{i}", 1, expires_in=3))
                try:
                    response = await http.post(
                        url,
                        content=body,
                        headers={
                            "authorization": f"Bearer {token}",
                            "content-type": "application/octet-stream",
                        },
                    )
                except httpx.HTTPError:
                    return  # the node is gone
                if response.status_code == 200 and isinstance(
                    decode_reply(response.content), Fulfill
                ):
                    fulfilled += 1

        await asyncio.gather(*(worker(n) for n in range(20)))
    return fulfilled


@pytest.mark.parametrize("durability", ["power-loss", "process-crash"])
def test_sigkill_while_forwarding_loses_no_booked_fulfill(tmp_path: Path, durability: str) -> None:
    with fulfiller() as target:
        node = start_node(tmp_path, "crash", "test.crash", LEDGER_DURABILITY=durability)
        usd = node.create_asset("USD", 2)
        sender = node.create_peer(
            asset_id=usd,
            address="test.sender",
            incoming_token="sender-token",
            outgoing_token="unused",
            endpoint="http://127.0.0.1:9/unused",
            liquidity=LIQUIDITY,
        )
        receiver = node.create_peer(
            asset_id=usd,
            address="test.fulfiller",
            incoming_token="fulfiller-token",
            outgoing_token="fulfiller-in",
            endpoint=target.url,
        )

        async def run() -> int:
            traffic = asyncio.create_task(
                _traffic(node.connector_url, "sender-token", stop_after_s=10)
            )
            while target.count() < 300:  # well into steady traffic
                await asyncio.sleep(0.01)
            node.process.send_signal(signal.SIGKILL)
            return await traffic

        fulfilled_seen = asyncio.run(run())
        node.process.wait()
        fulfilled_by_target = target.count()
        node = restart_node(tmp_path, node)
        try:
            # Reservations of the packets in flight at the kill were never posted: they are
            # released when their timeout passes (a few seconds after their packets expired).
            deadline = time.monotonic() + 30
            while node.liquidity(sender) + node.liquidity(receiver) != LIQUIDITY:
                assert time.monotonic() < deadline, "reservations were not released"
                time.sleep(0.5)
            booked = node.liquidity(receiver)
            # Every Fulfill that reached the sender is booked; nothing more than was fulfilled.
            assert fulfilled_seen <= booked <= fulfilled_by_target
            assert fulfilled_seen >= 100
        finally:
            node.stop()
