"""Send test payment on a peer's page, the Payments list and a payment's page (in-process, a
real node): the outcome in words, the form's errors, refusals that debit nothing, a form sent
twice that pays once. The receiver is a wallet address of the node itself (resolved in memory),
so the note that it is not under the peer's routes shows too; tests/browser pays a second node.
"""

from __future__ import annotations

import html
import re
from uuid import uuid4

import httpx

from ilpnode.bootstrap import Node

from .conftest import Dashboard, create_asset, create_peer, errors

BASE = "http://localhost:3003"  # the node's OPEN_PAYMENTS_URL when unset


def form_payment_id(page: httpx.Response) -> str:
    found = re.search(r'name="payment_id" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def outcome(page: httpx.Response, element_id: str = "test-payment-result") -> str:
    """The text of the outcome box, tags and extra spaces removed."""
    found = re.search(
        rf'<div class="check (\w+)" id="{element_id}"[^>]*>(.*?)</div>', page.text, re.S
    )
    assert found, page.text[:3000]
    text = re.sub(r"<(?!/?(?:span|a|strong)\b)[^>]+>", " ", found.group(2))  # blocks: a space
    text = re.sub(r"<[^>]+>", "", text)
    return f"[{found.group(1)}] " + " ".join(html.unescape(text).split())


def form_message(page: httpx.Response) -> str:
    found = re.search(r'<p class="form-error" role="alert">([^<]*)</p>', page.text)
    assert found, page.text[:3000]
    return html.unescape(found.group(1))


async def setup(dash: Dashboard, *, liquidity: str = "100") -> tuple[str, str, str]:
    """An asset with `liquidity`, a peer in it, and a wallet address of the node in it."""
    asset_id = await create_asset(dash)
    await dash.get(f"/assets/{asset_id}")
    if liquidity != "0":
        response = await dash.post(
            f"/assets/{asset_id}/deposit", {"amount": liquidity, "transfer_id": str(uuid4())}
        )
        assert response.status_code == 303
    peer_id = await create_peer(dash, asset_id)
    await dash.get("/wallet-addresses/new")
    wallet = await dash.post(
        "/wallet-addresses/new", {"asset_id": asset_id, "address": "shop", "public_name": ""}
    )
    assert wallet.status_code == 303
    return asset_id, peer_id, str(wallet.headers["location"]).rsplit("/", 1)[-1]


async def liquidity_of(node: Node, asset_id: str) -> int | None:
    assert node.services is not None
    asset = await node.services.assets.get(asset_id)
    return await node.services.assets.liquidity(asset)  # type: ignore[arg-type]


async def test_a_test_payment_shows_what_arrived_in_words(dash: Dashboard, node: Node) -> None:
    asset_id, peer_id, wallet_id = await setup(dash)
    peer_page = await dash.get(f"/peers/{peer_id}")
    assert "Send test payment" in peer_page.text
    assert "(100.00 USD available)" in peer_page.text

    response = await dash.post(
        f"/peers/{peer_id}/test-payment",
        {"receiver": f"{BASE}/shop", "amount": "1.25", "payment_id": form_payment_id(peer_page)},
    )
    page = await dash.follow(response)

    words = outcome(page)
    assert words.startswith(f"[good] To {BASE}/shop, ")
    assert "Delivered 1.25 USD in 1 packet." in words
    assert "Debited 1.25 USD." in words
    assert "Rate: 1 USD per USD." in words
    assert "is not under this peer's address or routes" in words  # the node's own wallet
    assert "(98.75 USD available)" in page.text
    assert await liquidity_of(node, asset_id) == 9875
    assert node.services is not None
    wallet = await node.services.wallet_addresses.get(wallet_id)
    assert await node.services.wallet_addresses.liquidity(wallet) == 125  # type: ignore[arg-type]

    listing = await dash.get("/payments")
    assert f"{BASE}/shop" in listing.text
    assert "Completed" in listing.text
    assert "Delivered 1.25 USD in 1 packet." in listing.text
    link = re.search(r'href="/dashboard(/payments/[0-9a-f-]+)"', listing.text)
    assert link
    detail = await dash.get(link.group(1))
    assert outcome(detail, "payment-outcome").startswith("[good] Delivered 1.25 USD in 1 packet.")
    assert 'http-equiv="refresh"' not in detail.text  # over: no reload


async def test_the_same_form_sent_twice_pays_once(dash: Dashboard, node: Node) -> None:
    asset_id, peer_id, _ = await setup(dash)
    form_id = form_payment_id(await dash.get(f"/peers/{peer_id}"))
    form = {"receiver": f"{BASE}/shop", "amount": "2", "payment_id": form_id}

    first = await dash.post(f"/peers/{peer_id}/test-payment", form)
    second = await dash.post(f"/peers/{peer_id}/test-payment", form)

    assert first.status_code == second.status_code == 303
    assert await liquidity_of(node, asset_id) == 9800
    listing = await dash.get("/payments")
    assert listing.text.count(f"/dashboard/payments/{form_id}") == 1


async def test_form_errors_are_shown_by_the_fields_and_send_nothing(
    dash: Dashboard, node: Node
) -> None:
    asset_id, peer_id, _ = await setup(dash)
    form_id = form_payment_id(await dash.get(f"/peers/{peer_id}"))

    page = await dash.post(
        f"/peers/{peer_id}/test-payment",
        {"receiver": "shop", "amount": "0.001", "payment_id": form_id},
    )

    assert page.status_code == 400
    found = errors(page)
    assert found["test_payment-receiver"].startswith("Enter a payment pointer such as")
    assert found["test_payment-amount"] == "USD has 2 decimal places: 0.001 has 3."
    assert await liquidity_of(node, asset_id) == 10000
    assert "No payments yet" in (await dash.get("/payments")).text


async def test_a_receiver_that_does_not_answer_spsp_is_refused_in_words(
    dash: Dashboard, node: Node
) -> None:
    asset_id, peer_id, _ = await setup(dash)
    form_id = form_payment_id(await dash.get(f"/peers/{peer_id}"))

    page = await dash.post(
        f"/peers/{peer_id}/test-payment",
        {"receiver": f"{BASE}/nobody", "amount": "1", "payment_id": form_id},
    )

    assert page.status_code == 409
    message = form_message(page)
    assert message.startswith("The payment was not sent: invalid receiver:")
    assert message.endswith("Nothing was debited.")
    assert await liquidity_of(node, asset_id) == 10000


async def test_without_liquidity_the_page_says_where_to_add_some(
    dash: Dashboard, node: Node
) -> None:
    asset_id, peer_id, _ = await setup(dash, liquidity="0")
    form_id = form_payment_id(await dash.get(f"/peers/{peer_id}"))

    page = await dash.post(
        f"/peers/{peer_id}/test-payment",
        {"receiver": f"{BASE}/shop", "amount": "1", "payment_id": form_id},
    )

    assert page.status_code == 409
    message = form_message(page)
    assert "Insufficient transfer balance" in message
    assert message.endswith("Deposit to the asset's liquidity first (the asset's page, Liquidity).")
    assert await liquidity_of(node, asset_id) == 0


async def test_an_unknown_payment_is_404(dash: Dashboard) -> None:
    assert (await dash.get(f"/payments/{uuid4()}")).status_code == 404
    assert (await dash.get("/payments/not-an-id")).status_code == 404
