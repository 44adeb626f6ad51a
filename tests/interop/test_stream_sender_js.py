"""Our STREAM sender pays an `ilp-protocol-stream` (2.7.1) receiver behind a real `ilp-connector`.

    run_payment ── HTTP ──▶ ilp-connector (test.jssend) ── HTTP ──▶ stream_receiver.js
                   sender: child, USD scale 9,          receiver: child, USD scale 6
                   maxPacketAmount (F08 with data)

The connector's one-to-one backend converts by the asset scales (10⁻³) less its spread, and
rounds down once: the receiver's asset (USD/6), the rate and the packet limit are all the
sender has to discover.  What the receiver says it got is compared with our report.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx

from ilpnode.ilp import Fulfill, Prepare, Reject, decode_reply, encode_prepare
from ilpnode.ilp.stream import (
    FixedReceive,
    FixedSend,
    PaymentTarget,
    SenderLimits,
    SenderState,
    SendReport,
    StreamSender,
)
from ilpnode.services.payments_sender import run_payment
from tests.interop.jsprocs import (
    JsProcess,
    http_link,
    start_connector,
    start_stream_receiver,
    token,
)
from tests.support import free_port

CONNECTOR_ADDRESS = "test.jssend"
MAX_PACKET = 100_000  # source units (USD scale 9)


def url(port: int) -> str:
    return f"http://127.0.0.1:{port}/"


@dataclass
class Network:
    connector: JsProcess
    receiver: JsProcess
    sender_url: str
    sender_token: str


@contextmanager
def network(js_dir: Path, log_dir: Path, *, spread: float) -> Iterator[Network]:
    ports = {name: free_port() for name in ("for_sender", "for_receiver", "sender", "receiver")}
    tokens = {name: token() for name in ("s2c", "c2s", "r2c", "c2r")}
    connector_config: dict[str, Any] = {
        "ilpAddress": CONNECTOR_ADDRESS,
        "spread": spread,
        "accounts": {
            "sender": {
                **http_link(
                    port=ports["for_sender"],
                    incoming_token=tokens["s2c"],
                    outgoing_url=url(ports["sender"]),  # nothing listens: never used
                    outgoing_token=tokens["c2s"],
                ),
                "relation": "child",
                "assetScale": 9,
                "maxPacketAmount": str(MAX_PACKET),
            },
            "receiver": {
                **http_link(
                    port=ports["for_receiver"],
                    incoming_token=tokens["r2c"],
                    outgoing_url=url(ports["receiver"]),
                    outgoing_token=tokens["c2r"],
                ),
                "relation": "child",
                "assetScale": 6,
            },
        },
    }
    receiver_config = http_link(
        port=ports["receiver"],
        incoming_token=tokens["c2r"],
        outgoing_url=url(ports["for_receiver"]),
        outgoing_token=tokens["r2c"],
    )
    with (
        start_connector(js_dir, connector_config, log_dir=log_dir) as connector,
        start_stream_receiver(js_dir, receiver_config, log_dir=log_dir) as receiver,
    ):
        yield Network(connector, receiver, url(ports["for_sender"]), tokens["s2c"])


async def pay(net: Network, target: PaymentTarget, **limits: Any) -> SendReport:
    ready = net.receiver.ready
    sender = StreamSender(
        shared_secret=base64.b64decode(ready["sharedSecret"]),
        destination=ready["destinationAccount"],
        target=target,
        random_bytes=secrets.token_bytes,
        limits=SenderLimits(**limits),
    )
    async with httpx.AsyncClient(timeout=35) as client:

        async def send_prepare(prepare: Prepare) -> Fulfill | Reject:
            response = await client.post(
                net.sender_url,
                content=encode_prepare(prepare),
                headers={
                    "authorization": f"Bearer {net.sender_token}",
                    "content-type": "application/octet-stream",
                },
            )
            assert response.status_code == 200, response.text
            return decode_reply(response.content)

        return await run_payment(sender, send_prepare)


def received_total(receiver: JsProcess, expected: int) -> int:
    line = receiver.wait_for("RECEIVED", lambda r: int(r["totalReceived"]) >= expected, timeout=10)
    return int(line["totalReceived"])


async def test_a_fixed_send_through_ilp_connector_arrives_whole(
    js_dir: Path, tmp_path: Path
) -> None:
    with network(js_dir, tmp_path, spread=0) as net:
        report = await pay(net, FixedSend(2_000_000))
        total = received_total(net.receiver, report.delivered)
        closed = net.receiver.wait_for("CLOSED", timeout=10)

    assert report.state is SenderState.COMPLETED, report.error_message
    assert report.sent == 2_000_000
    assert report.delivered == total == int(closed["totalReceived"]) == 2000
    assert report.destination_asset == ("USD", 6)
    assert report.max_packet_amount == MAX_PACKET
    assert report.rate_low == Fraction(1, 1000)
    assert report.fulfilled == 20
    assert report.rejected.get("F08", 0) >= 1


async def test_a_fixed_receive_through_a_spread_arrives_exactly(
    js_dir: Path, tmp_path: Path
) -> None:
    with network(js_dir, tmp_path, spread=0.01) as net:
        report = await pay(net, FixedReceive(12_345))
        total = received_total(net.receiver, 12_345)

    assert report.state is SenderState.COMPLETED, report.error_message
    assert report.delivered == total == 12_345
    assert report.max_source_amount is not None
    assert 12_345 * 1000 * 100 // 99 <= report.sent <= report.max_source_amount


async def test_a_minimum_rate_above_the_path_fails_and_sends_nothing(
    js_dir: Path, tmp_path: Path
) -> None:
    with network(js_dir, tmp_path, spread=0.01) as net:
        report = await pay(net, FixedSend(1_000_000), min_rate=Fraction(1, 1000))

    assert report.state is SenderState.FAILED
    assert report.error is not None
    assert report.error.value == "InsufficientExchangeRate"
    assert report.sent == report.delivered == 0
