"""The payments received, end to end: a real node receives STREAM payments over HTTP (SPSP on
its Open Payments port, packets on its connector port); its dashboard lists each payment with
exactly what arrived, and the list adds up to the wallet address's balance, also after a
graceful restart right after a payment (the shutdown writes the last second)."""

from __future__ import annotations

import base64
import html
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from ilpnode.ilp import Fulfill, Prepare, decode_reply, encode_prepare
from ilpnode.ilp.stream import StreamMoney
from tests.unit.ilp.stream.sender import Sender

from .network import NodeProcess, restart_node, start_node

pytestmark = [pytest.mark.e2e]

TOKEN = "payer-token"
_AMOUNT = re.compile(r'<td data-label="Amount" class="num received-amount">([^<]*)</td>')


def listed(node: NodeProcess, wallet_id: str) -> list[int]:
    """The amounts (smallest unit, scale 2) the wallet address's dashboard page lists."""
    page = httpx.get(f"{node.admin_url}/dashboard/wallet-addresses/{wallet_id}", timeout=10)
    assert page.status_code == 200, page.text[:500]
    amounts = [html.unescape(text).split()[0] for text in _AMOUNT.findall(page.text)]
    return [int(amount.replace(".", "").replace(",", "")) for amount in amounts]


def pay(node: NodeProcess, path: str, amounts: list[int], *, token: str = TOKEN) -> int:
    """One STREAM payment: SPSP, then one packet per amount, sent by the peer whose incoming
    token is `token`. Returns what was fulfilled."""
    answer = httpx.get(
        f"{node.open_payments_url}/{path}",
        headers={"accept": "application/spsp4+json"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    sender = Sender(base64.urlsafe_b64decode(body["shared_secret"] + "=="))
    fulfilled = 0
    with httpx.Client(timeout=10) as client:
        for amount in amounts:
            data, condition = sender.prepare(StreamMoney(stream_id=1, shares=1))
            prepare = Prepare(
                amount=amount,
                expires_at=datetime.now(UTC) + timedelta(seconds=10),
                execution_condition=condition,
                destination=body["destination_account"],
                data=data,
            )
            response = client.post(
                node.connector_url,
                content=encode_prepare(prepare),
                headers={"authorization": f"Bearer {token}"},
            )
            reply = decode_reply(response.content)
            assert isinstance(reply, Fulfill), reply
            fulfilled += amount
    return fulfilled


def shop(node: NodeProcess) -> str:
    usd = node.create_asset("USD", 2)
    node.create_peer(
        asset_id=usd,
        address="test.payer",
        incoming_token=TOKEN,
        outgoing_token="unused",
        endpoint="http://127.0.0.1:9/unused",
        liquidity=10**9,
    )
    return node.create_wallet_address(usd, "shop")["id"]


def test_the_page_lists_what_arrived_and_adds_up_to_the_balance(tmp_path: Path) -> None:
    node = start_node(tmp_path, "shop", "test.shop")
    try:
        wallet_id = shop(node)
        paid = [pay(node, "shop", amounts) for amounts in ([1_000, 2_000, 345], [7], [99, 1])]
        balance = node.wallet_address_liquidity(wallet_id)
        assert balance == sum(paid) == 3_452
        # Written within a second or so: wait for it (the balance above never waits).
        deadline = time.monotonic() + 20
        while sum(listed(node, wallet_id)) != balance:
            assert time.monotonic() < deadline, (listed(node, wallet_id), balance)
            time.sleep(0.2)
        assert listed(node, wallet_id) == list(reversed(paid))  # newest first
    finally:
        node.stop()


def test_a_graceful_stop_writes_the_last_payments(tmp_path: Path) -> None:
    node = start_node(tmp_path, "shop", "test.shop")
    try:
        wallet_id = shop(node)
        paid = pay(node, "shop", [500, 250])
    finally:
        node.stop()  # SIGTERM at once: within the second the list is written
    assert node.process.returncode == 0, node.output()[-2000:]
    node = restart_node(tmp_path, node)
    try:
        assert listed(node, wallet_id) == [paid]
        assert node.wallet_address_liquidity(wallet_id) == paid
    finally:
        node.stop()
