"""The payments received in a real browser, at 1280 px and 390 px: an operator sets up a peer
and a wallet address in the dashboard, a STREAM payment arrives over HTTP (SPSP, then packets
from the peer), and the wallet address's page lists it with its amount in the asset's units and
its packets; withdrawing everything empties the balance and keeps the payment in the list."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.network import NodeProcess
from tests.e2e.test_received_payments import pay

from .conftest import NARROW, WIDE, dashboard, log_in, nav, new_page, shot
from .test_layout import assert_no_sideways_scroll

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

TOKEN = "payer-sends-this"


def set_up(page: Page, node: NodeProcess) -> None:
    """USD, a peer that pays with TOKEN (100.00 USD of credit, 10.00 a packet), and the wallet
    address `shop`, all through the dashboard's forms."""
    page.goto(dashboard(node, "/assets/new"))
    page.get_by_label("Code").fill("USD")
    page.get_by_label("Scale").fill("2")
    page.get_by_role("button", name="Create asset").click()
    nav(page, "Peers")
    page.get_by_role("link", name="Create peer").click()
    page.get_by_label("Name").fill("Payer")
    page.get_by_label("Static ILP address").fill("test.payer")
    page.get_by_label("Asset").select_option(label="USD (scale 2)")
    page.get_by_label("Max packet amount").fill("10")
    page.get_by_label("Outgoing endpoint").fill("http://127.0.0.1:9/ilp")
    page.get_by_label("Outgoing token").fill("unused")
    page.get_by_label("Incoming tokens").fill(TOKEN)
    page.get_by_label("Initial liquidity").fill("100")
    page.get_by_role("button", name="Create peer").click()
    expect(page.locator(".flash")).to_contain_text("created")
    nav(page, "Wallet addresses")
    page.get_by_role("link", name="Create wallet address").click()
    page.get_by_label("Address").fill("shop")
    page.get_by_label("Public name").fill("The shop")
    page.get_by_role("button", name="Create wallet address").click()
    expect(page.locator(".flash")).to_contain_text("created")


def reload_until_listed(page: Page, rows: int) -> None:
    """Reload until the list shows `rows` payments (it is written every second)."""
    deadline = time.monotonic() + 20
    while page.locator("#received-payments tbody tr").count() < rows:
        assert time.monotonic() < deadline, "the payment was never listed"
        time.sleep(0.3)
        page.reload()


@pytest.mark.parametrize("width", [WIDE, NARROW])
def test_a_payment_shows_on_the_wallet_address_page(
    browser: Browser, alice: NodeProcess, width: int
) -> None:
    page = new_page(browser, width)
    log_in(page, alice)
    set_up(page, alice)
    expect(page.get_by_text("None yet.")).to_be_visible()

    assert pay(alice, "shop", [1_000, 1_000, 550], token=TOKEN) == 2_550
    reload_until_listed(page, 1)
    expect(page.locator("#wallet-liquidity")).to_have_text("25.50 USD")
    row = page.locator("#received-payments tbody tr")
    expect(row.locator('[data-label="Amount"]')).to_have_text("25.50 USD")
    expect(row.locator('[data-label="Packets"]')).to_have_text("3")
    expect(row.locator('[data-label="When"]')).to_contain_text("UTC")
    assert_no_sideways_scroll(page, "wallet-address-payments")
    shot(page, "wallet-address-payments")

    page.get_by_label("Hold for (minutes)").fill("0")
    page.get_by_role("button", name="Withdraw everything").click()
    expect(page.locator(".flash")).to_have_text(
        "Withdrew 25.50 USD (everything received; posted at once)."
    )
    expect(page.locator("#wallet-liquidity")).to_have_text("0.00 USD")
    expect(row.locator('[data-label="Amount"]')).to_have_text("25.50 USD")  # still received
