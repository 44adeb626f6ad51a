"""The JS interop harness works on its own, without ilpnode.

A STREAM payment goes stream_sender.js → connector.js (a real ilp-connector) → stream_receiver.js,
all over ILP-over-HTTP with ilp-plugin-http. If these fail, an interop test that puts ilpnode in
the middle cannot tell ilpnode's faults from the harness's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from ilpnode.ilp import Prepare, Reject, decode_packet, encode_packet
from tests.interop.jsprocs import (
    http_link,
    run_stream_sender,
    start_connector,
    start_stream_receiver,
    token,
)
from tests.support import free_port

CONNECTOR_ADDRESS = "test.jsharness"
AMOUNT = 1000
SMALL_MAX_PACKET_AMOUNT = 100


def url(port: int) -> str:
    return f"http://127.0.0.1:{port}/"


class Topology:
    """Ports and tokens of sender ⇄ connector ⇄ receiver: one HTTP link each side."""

    def __init__(self) -> None:
        self.connector_for_sender = free_port()
        self.connector_for_receiver = free_port()
        self.sender = free_port()
        self.receiver = free_port()
        self.sender_to_connector = token()
        self.connector_to_sender = token()
        self.receiver_to_connector = token()
        self.connector_to_receiver = token()

    def connector_account(self, side: str, **extra: Any) -> dict[str, Any]:
        if side == "sender":
            link = http_link(
                port=self.connector_for_sender,
                incoming_token=self.sender_to_connector,
                outgoing_url=url(self.sender),
                outgoing_token=self.connector_to_sender,
            )
        else:
            link = http_link(
                port=self.connector_for_receiver,
                incoming_token=self.receiver_to_connector,
                outgoing_url=url(self.receiver),
                outgoing_token=self.connector_to_receiver,
            )
        return {**link, **extra}

    def receiver_config(self, **extra: Any) -> dict[str, Any]:
        link = http_link(
            port=self.receiver,
            incoming_token=self.connector_to_receiver,
            outgoing_url=url(self.connector_for_receiver),
            outgoing_token=self.receiver_to_connector,
        )
        return {**link, **extra}

    def sender_config(self, destination: dict[str, Any], **extra: Any) -> dict[str, Any]:
        link = http_link(
            port=self.sender,
            incoming_token=self.connector_to_sender,
            outgoing_url=url(self.connector_for_sender),
            outgoing_token=self.sender_to_connector,
        )
        return {
            **link,
            "destinationAccount": destination["destinationAccount"],
            "sharedSecret": destination["sharedSecret"],
            "amount": str(AMOUNT),
            **extra,
        }


def test_stream_payment_through_js_connector_arrives_whole_in_several_packets(
    js_dir: Path, tmp_path: Path
) -> None:
    net = Topology()
    connector_config = {
        "ilpAddress": CONNECTOR_ADDRESS,
        "accounts": {
            "sender": net.connector_account(
                "sender", relation="child", maxPacketAmount=str(SMALL_MAX_PACKET_AMOUNT)
            ),
            "receiver": net.connector_account("receiver", relation="child"),
        },
    }

    with (
        start_connector(js_dir, connector_config, log_dir=tmp_path) as connector,
        start_stream_receiver(js_dir, net.receiver_config(), log_dir=tmp_path) as receiver,
    ):
        result = run_stream_sender(js_dir, net.sender_config(receiver.ready), log_dir=tmp_path)
        received = receiver.wait_for(
            "RECEIVED", lambda r: int(r["totalReceived"]) >= AMOUNT, timeout=10
        )

    assert connector.ready["accounts"]["receiver"]["address"] == f"{CONNECTOR_ADDRESS}.receiver"
    assert receiver.ready["destinationAccount"].startswith(f"{CONNECTOR_ADDRESS}.receiver.")
    assert (receiver.ready["assetCode"], receiver.ready["assetScale"]) == ("USD", 9)
    assert result["totalSent"] == result["totalDelivered"] == str(AMOUNT), result
    assert received["totalReceived"] == str(AMOUNT)
    assert result["packets"] >= AMOUNT // SMALL_MAX_PACKET_AMOUNT > 1, result
    assert received["packets"] == result["packets"]
    assert result["rejects"].get("F08", 0) >= 1, "the maximum packet amount was never discovered"


def test_fixed_addresses_and_static_routes_work_without_ildcp(js_dir: Path, tmp_path: Path) -> None:
    """The mode for a parent that does not answer IL-DCP: peers with static routes."""
    net = Topology()
    asset = {"assetCode": "USD", "assetScale": 9}
    connector_config = {
        "ilpAddress": CONNECTOR_ADDRESS,
        "accounts": {
            "sender": net.connector_account("sender", relation="peer"),
            "receiver": net.connector_account("receiver", relation="peer"),
        },
        "routes": [
            {"targetPrefix": "test.fixed.sender", "peerId": "sender"},
            {"targetPrefix": "test.fixed.receiver", "peerId": "receiver"},
        ],
    }
    receiver_config = net.receiver_config(ildcp={"clientAddress": "test.fixed.receiver", **asset})

    with (
        start_connector(js_dir, connector_config, log_dir=tmp_path),
        start_stream_receiver(js_dir, receiver_config, log_dir=tmp_path) as receiver,
    ):
        sender_config = net.sender_config(
            receiver.ready, ildcp={"clientAddress": "test.fixed.sender", **asset}
        )
        result = run_stream_sender(js_dir, sender_config, log_dir=tmp_path)
        received = receiver.wait_for(
            "RECEIVED", lambda r: int(r["totalReceived"]) >= AMOUNT, timeout=10
        )

    assert receiver.ready["destinationAccount"].startswith("test.fixed.receiver.")
    assert result["totalDelivered"] == received["totalReceived"] == str(AMOUNT), result


def test_js_connector_http_link_auth_and_reject_for_an_unknown_destination(
    js_dir: Path, tmp_path: Path
) -> None:
    """What ilpnode sees of ilp-plugin-http: Bearer auth, and a Reject as a 200 body."""
    net = Topology()
    connector_config = {
        "ilpAddress": CONNECTOR_ADDRESS,
        "accounts": {"sender": net.connector_account("sender", relation="peer")},
    }
    prepare = Prepare(
        amount=10,
        expires_at=datetime.now(UTC) + timedelta(seconds=30),
        execution_condition=bytes(32),
        destination="test.nowhere.alice",
        data=b"",
    )
    endpoint = url(net.connector_for_sender)
    headers = {"content-type": "application/octet-stream"}

    with start_connector(js_dir, connector_config, log_dir=tmp_path):
        unauthenticated = httpx.post(endpoint, content=encode_packet(prepare), headers=headers)
        wrong = httpx.post(
            endpoint,
            content=encode_packet(prepare),
            headers={**headers, "authorization": f"Bearer {token()}"},
        )
        answered = httpx.post(
            endpoint,
            content=encode_packet(prepare),
            headers={**headers, "authorization": f"Bearer {net.sender_to_connector}"},
        )

    assert unauthenticated.status_code == wrong.status_code == 401
    assert answered.status_code == 200
    reject = decode_packet(answered.content)
    assert isinstance(reject, Reject)
    assert reject.code == "F02"
    assert reject.triggered_by == CONNECTOR_ADDRESS
