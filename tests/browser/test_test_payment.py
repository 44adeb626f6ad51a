"""Send test payment from Alice's dashboard to a wallet address at Bob, a second real node: the
outcome in words, the money at Bob, the Payments pages, and a receiver that does not exist."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.network import NodeProcess, start_node
from tests.support import free_port

from .conftest import NARROW, dashboard, log_in, nav, new_page, shot
from .test_layout import assert_no_sideways_scroll

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture
def bob(tmp_path: Path) -> Iterator[NodeProcess]:
    """Bob, whose wallet addresses live under http://127.0.0.1:<his OPEN_PAYMENTS_PORT>/."""
    port = free_port()
    node = start_node(
        tmp_path,
        "bob",
        "test.bob",
        OPEN_PAYMENTS_PORT=str(port),
        OPEN_PAYMENTS_URL=f"http://127.0.0.1:{port}/",
    )
    try:
        yield node
    finally:
        node.stop()


def test_send_a_test_payment_to_a_wallet_address_at_a_peer(
    browser: Browser, alice: NodeProcess, bob: NodeProcess
) -> None:
    # Bob's side, through his Admin API: Alice is his peer, with 10.00 USD of credit; his shop
    # is a wallet address.
    bob_asset = bob.create_asset("USD", 2)
    bob.create_peer(
        asset_id=bob_asset,
        address="test.alice",
        incoming_token="alice-sends-this",
        outgoing_token="bob-sends-this",
        endpoint=alice.connector_url,
        liquidity=1000,
    )
    shop = bob.create_wallet_address(bob_asset, "shop")["address"]
    # Alice's side, through her dashboard: the asset with some liquidity, Bob as a peer.
    page = new_page(browser)
    log_in(page, alice)
    page.goto(dashboard(alice, "/assets/new"))
    page.get_by_label("Code").fill("USD")
    page.get_by_label("Scale").fill("2")
    page.get_by_role("button", name="Create asset").click()
    deposit = page.locator("form", has=page.get_by_role("button", name="Deposit"))
    deposit.get_by_label("Amount (USD)").fill("5")
    deposit.get_by_role("button", name="Deposit").click()
    page.goto(dashboard(alice, "/peers/new"))
    page.get_by_label("Name").fill("Bob")
    page.get_by_label("Static ILP address").fill("test.bob")
    page.get_by_label("Outgoing endpoint").fill(bob.connector_url)
    page.get_by_label("Outgoing token").fill("alice-sends-this")
    page.get_by_label("Incoming tokens").fill("bob-sends-this")
    page.get_by_role("button", name="Create peer").click()
    expect(page.locator(".flash")).to_have_text("Peer Bob created.")
    peer_path = page.url.split("/dashboard", 1)[1]

    form = page.locator("form", has=page.get_by_role("button", name="Send test payment"))
    expect(page.get_by_text("(5.00 USD available)")).to_be_visible()
    form.get_by_label("Receiver").fill(shop)
    form.get_by_label("Amount (USD)").fill("0.10")
    form.get_by_role("button", name="Send test payment").click()

    result = page.locator("#test-payment-result")
    expect(result).to_contain_text("Delivered 0.10 USD in 1 packet.")
    expect(result).to_contain_text("Debited 0.10 USD.")
    expect(result).not_to_contain_text("not under this peer")
    expect(page.get_by_text("(4.90 USD available)")).to_be_visible()
    shot(page, "peer-test-payment")
    wallet_id = bob.graphql(
        "query($u: String!) { walletAddressByUrl(url: $u) { id } }", {"u": shop}
    )["walletAddressByUrl"]["id"]
    assert bob.wallet_address_liquidity(wallet_id) == 10

    form = page.locator("form", has=page.get_by_role("button", name="Send test payment"))
    form.get_by_label("Receiver").fill(shop.replace("/shop", "/nobody"))
    form.get_by_label("Amount (USD)").fill("0.10")
    form.get_by_role("button", name="Send test payment").click()
    expect(form.locator(".form-error")).to_contain_text(
        "The payment was not sent: invalid receiver"
    )
    expect(form.get_by_label("Receiver")).to_have_value(shop.replace("/shop", "/nobody"))
    expect(page.get_by_text("(4.90 USD available)")).to_be_visible()  # nothing debited

    nav(page, "Payments")
    row = page.locator("tbody tr", has_text=shop)
    expect(row).to_contain_text("Completed")
    expect(row).to_contain_text("Delivered 0.10 USD in 1 packet.")
    shot(page, "payments")
    row.get_by_role("link").click()
    expect(page.locator("#payment-outcome")).to_contain_text("Delivered 0.10 USD in 1 packet.")
    shot(page, "payment")
    paths = [page.url.split("/dashboard", 1)[1], "/payments", peer_path]
    page.context.close()
    phone = new_page(browser, NARROW)  # long URLs and ILP addresses must not widen the page
    log_in(phone, alice)
    for path in paths:
        phone.goto(dashboard(alice, path))
        expect(phone.locator("main h1")).to_be_visible()
        assert_no_sideways_scroll(phone, path)
        shot(phone, "payment" if "/payments/" in path else path.strip("/").split("/")[0])
    phone.context.close()
