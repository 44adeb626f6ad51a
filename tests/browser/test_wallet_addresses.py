"""Wallet addresses in a real browser, at 1280 px and 390 px: create one (and be told what is
wrong with a bad address), see it listed, make it inactive and active again, try to withdraw
(nothing received yet), and check that no page scrolls sideways."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.network import NodeProcess

from .conftest import NARROW, WIDE, dashboard, log_in, nav, new_page, shot
from .test_layout import assert_no_sideways_scroll

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

LONG = "shops/the-very-long-name-of-a-shop-that-sells-many-things/checkout-counter-number-one"


@pytest.mark.parametrize("width", [WIDE, NARROW])
def test_wallet_addresses(browser: Browser, alice: NodeProcess, width: int) -> None:
    page = new_page(browser, width)
    log_in(page, alice)
    page.goto(dashboard(alice, "/assets/new"))
    page.get_by_label("Code").fill("EUR")
    page.get_by_label("Scale").fill("2")
    page.get_by_role("button", name="Create asset").click()

    nav(page, "Wallet addresses")
    expect(page.get_by_text("No wallet addresses yet")).to_be_visible()
    page.get_by_role("link", name="Create wallet address").click()
    base = f"http://localhost:{alice.env['OPEN_PAYMENTS_PORT']}/"
    expect(page.get_by_text(f"A path under {base}")).to_be_visible()
    page.get_by_label("Address").fill("https://elsewhere.example/alice")
    page.get_by_role("button", name="Create wallet address").click()
    expect(page.locator("#new-address-error")).to_contain_text("Enter a path such as alice")
    expect(page.get_by_label("Address")).to_have_value("https://elsewhere.example/alice")
    assert_no_sideways_scroll(page, "wallet-address-new")
    shot(page, "wallet-address-new")

    page.get_by_label("Address").fill(LONG)
    page.get_by_label("Public name").fill("Counter one")
    page.get_by_role("button", name="Create wallet address").click()
    expect(page.locator(".flash")).to_have_text(f"Wallet address {base}{LONG} created.")
    expect(page.locator("#wallet-liquidity")).to_have_text("0.00 EUR")
    assert_no_sideways_scroll(page, "wallet-address")
    shot(page, "wallet-address")

    # What payers see, while it is active, and then not.
    spsp = f"{alice.open_payments_url}/{LONG}"
    headers = {"accept": "application/spsp4+json"}
    assert httpx.get(spsp, headers=headers, timeout=10).status_code == 200
    page.get_by_label("Inactive: it receives nothing").check()
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".flash")).to_have_text(f"Wallet address {base}{LONG} updated: inactive.")
    expect(page.get_by_text("Inactive: receives nothing")).to_be_visible()
    assert httpx.get(spsp, headers=headers, timeout=10).status_code == 404
    page.get_by_label("Active: it receives payments").check()
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".flash")).to_contain_text("updated: active.")
    assert httpx.get(spsp, headers=headers, timeout=10).status_code == 200

    page.get_by_role("button", name="Withdraw everything").click()
    expect(page.locator(".form-error")).to_have_text(
        "Nothing to withdraw: it has received nothing since the last one."
    )

    nav(page, "Wallet addresses")
    row = page.locator("tbody tr", has_text=LONG)
    expect(row).to_contain_text("Counter one")
    expect(row).to_contain_text("Active")
    expect(row).to_contain_text("0.00 EUR")
    assert_no_sideways_scroll(page, "wallet-addresses")
    shot(page, "wallet-addresses")
