"""A wallet address's page lists the payments it received (in-process): STREAM payments made
through the node's SPSP endpoint and its packet path, written by the node's log, newest first,
paged, in the asset's units; their sum is the balance."""

from __future__ import annotations

import base64
import html
import re
from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx

from ilpnode.bootstrap import Node
from ilpnode.ilp import Fulfill, Prepare, decode_reply, encode_prepare
from ilpnode.ilp.stream import StreamMoney
from tests.unit.ilp.stream.sender import Sender

from .conftest import Dashboard, create_asset, create_peer
from .test_wallet_addresses import create_wallet, received

_ROW = re.compile(
    r'<td data-label="When">([^<]*)</td>\s*'
    r'<td data-label="Amount" class="num received-amount">([^<]*)</td>\s*'
    r'<td data-label="Packets" class="num">(\d+)</td>\s*'
    r'<td data-label="Last packet">([^<]*)</td>\s*'
    r'<td data-label="Connection" class="mono small">([^<]*)</td>'
)


def payments(page: httpx.Response) -> list[tuple[str, int, str]]:
    """The page's payments received: (amount as shown, packets, connection id)."""
    return [
        (html.unescape(amount), int(packets), connection)
        for _, amount, packets, _, connection in _ROW.findall(page.text)
    ]


async def pay(node: Node, peer_id: str, path: str, amounts: list[int]) -> str:
    """One STREAM payment into the wallet address at `path`, from the peer: an SPSP lookup,
    then a packet per amount through the connector. Returns the connection's address."""
    transport = httpx.ASGITransport(app=node.open_payments_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:3003") as spsp:
        answer = await spsp.get(f"/{path}", headers={"accept": "application/spsp4+json"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    secret = base64.urlsafe_b64decode(body["shared_secret"] + "==")
    sender = Sender(secret)
    peer = node.directory.get(UUID(peer_id))
    assert peer is not None
    assert node.connector is not None
    for amount in amounts:
        data, condition = sender.prepare(StreamMoney(stream_id=1, shares=1))
        prepare = Prepare(
            amount=amount,
            expires_at=datetime.now(UTC) + timedelta(seconds=30),
            execution_condition=condition,
            destination=body["destination_account"],
            data=data,
        )
        raw = encode_prepare(prepare)
        reply = decode_reply(await node.connector.handle(peer, prepare, raw))
        assert isinstance(reply, Fulfill), reply
    destination: str = body["destination_account"]
    return destination


async def test_the_wallet_address_page_lists_each_payment(dash: Dashboard, node: Node) -> None:
    asset_id = await create_asset(dash)
    peer_id = await create_peer(dash, asset_id)  # 100.00 USD of credit, 10.00 a packet
    wallet_id = await create_wallet(dash, asset_id, "shop")
    empty = await dash.get(f"/wallet-addresses/{wallet_id}")
    assert 'id="no-received-payments"' in empty.text

    first = await pay(node, peer_id, "shop", [1_000, 1_000, 550])  # 25.50 USD
    second = await pay(node, peer_id, "shop", [125])  # 1.25 USD
    await node.received_payments.flush()  # what the node's log does every second

    page = await dash.get(f"/wallet-addresses/{wallet_id}")
    listed = payments(page)
    assert [(amount, packets) for amount, packets, _ in listed] == [
        ("1.25 USD", 1),  # newest first
        ("25.50 USD", 3),
    ]
    hashes = {connection for _, _, connection in listed}
    assert len(hashes) == 2
    for destination in (first, second):
        token = destination.rsplit(".", 1)[1]
        assert token not in page.text  # the connection is shown by its hash only
    assert received(page) == "26.75 USD"
    assert "Written every second" in page.text


async def test_the_payments_received_are_paged(dash: Dashboard, node: Node) -> None:
    asset_id = await create_asset(dash)
    peer_id = await create_peer(dash, asset_id)
    wallet_id = await create_wallet(dash, asset_id, "shop")
    for cents in range(1, 23):  # 22 payments, 0.01 to 0.22 USD
        await pay(node, peer_id, "shop", [cents])
        await node.received_payments.flush()
    page = await dash.get(f"/wallet-addresses/{wallet_id}")
    first = payments(page)
    assert len(first) == 20
    assert first[0][0] == "0.22 USD"
    found = re.search(
        r'href="/dashboard(/wallet-addresses/[^"?]+\?after=[^"#]+#received-title)"', page.text
    )
    assert found, "no link to the next page"
    rest = payments(await dash.get(html.unescape(found.group(1))))
    assert [amount for amount, _, _ in rest] == ["0.02 USD", "0.01 USD"]
    total = sum(int(amount.split()[0].replace(".", "")) for amount, _, _ in first + rest)
    assert total == sum(range(1, 23))
    assert received(page) == f"{total // 100}.{total % 100:02d} USD"
