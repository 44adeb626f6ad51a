"""Each form's validation errors in a real browser: shown next to the field, in words, with
what was typed still there, and nothing saved."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.network import NodeProcess

from .conftest import SECRET, dashboard, log_in, nav, new_page, shot

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def error_of(page: Page, field_id: str) -> str:
    return page.locator(f"#{field_id}-error").inner_text()


def test_every_form_explains_its_errors(browser: Browser, alice: NodeProcess) -> None:
    page = new_page(browser)
    page.goto(dashboard(alice, "/login"))
    page.get_by_label("Admin API secret").fill(SECRET + "x")
    page.get_by_role("button", name="Log in").click()
    assert "not this node's ADMIN_API_SECRET" in error_of(page, "login-secret")
    expect(page.get_by_label("Admin API secret")).to_have_value("")  # never echoed
    log_in(page, alice)

    # Create asset
    page.goto(dashboard(alice, "/assets/new"))
    page.get_by_label("Code").fill("U$D")
    page.get_by_label("Scale").fill("300")
    page.get_by_role("button", name="Create asset").click()
    assert error_of(page, "new-code") == "Enter 1 to 64 capital letters or digits, e.g. USD or EUR."
    assert error_of(page, "new-scale") == "Enter a whole number from 0 to 255."
    expect(page.get_by_label("Code")).to_have_value("U$D")
    expect(page.get_by_label("Code")).to_have_attribute("aria-invalid", "true")
    shot(page, "asset-new-errors")
    page.get_by_label("Code").fill("USD")
    page.get_by_label("Scale").fill("2")
    page.get_by_role("button", name="Create asset").click()
    asset_url = page.url

    # Create peer: every field at once, then what the service refuses
    page.goto(dashboard(alice, "/peers/new"))
    page.get_by_label("Static ILP address").fill("bob")
    page.get_by_label("Max packet amount").fill("1.001")
    page.get_by_label("Outgoing endpoint").fill("bob.example")
    page.get_by_label("Initial liquidity").fill("a lot")
    page.get_by_label("Extra routes").fill("g..bob")
    page.get_by_role("button", name="Create peer").click()
    assert "ILP address such as test.bob" in error_of(page, "new-static_ilp_address")
    assert error_of(page, "new-max_packet_amount") == "USD has 2 decimal places: 1.001 has 3."
    assert "http:// or https:// URL" in error_of(page, "new-outgoing_endpoint")
    assert error_of(page, "new-outgoing_token") == "Enter the token the peer gave you."
    assert "Enter a number" in error_of(page, "new-initial_liquidity")
    assert "ILP address prefix" in error_of(page, "new-routes")
    expect(page.get_by_label("Static ILP address")).to_have_value("bob")
    expect(page.get_by_label("Extra routes")).to_have_value("g..bob")
    shot(page, "peer-new-errors")
    page.get_by_label("Static ILP address").fill("test.bob")
    page.get_by_label("Max packet amount").fill("")
    page.get_by_label("Outgoing endpoint").fill("http://127.0.0.1:9")
    page.get_by_label("Outgoing token").fill("out")
    page.get_by_label("Initial liquidity").fill("5")
    page.get_by_label("Extra routes").fill("")
    page.get_by_role("button", name="Create peer").click()
    expect(page.locator(".flash")).to_have_text("Peer test.bob created.")
    peer_url = page.url
    page.goto(dashboard(alice, "/peers/new"))
    page.get_by_label("Static ILP address").fill("test.bob")
    page.get_by_label("Outgoing endpoint").fill("http://127.0.0.1:9")
    page.get_by_label("Outgoing token").fill("out")
    page.get_by_role("button", name="Create peer").click()
    assert error_of(page, "new-static_ilp_address") == (
        "There is already a peer with this ILP address and asset."
    )

    # the peer page's forms
    page.goto(peer_url)
    general = page.locator("form", has=page.get_by_role("button", name="Save general"))
    general.get_by_label("Static ILP address").fill("nope")
    general.get_by_role("button", name="Save general").click()
    assert "ILP address such as" in error_of(page, "general-static_ilp_address")
    expect(general.get_by_label("Static ILP address")).to_have_value("nope")
    http = page.locator("form", has=page.get_by_role("button", name="Save HTTP"))
    http.get_by_label("Outgoing endpoint").fill("ftp://x")
    http.get_by_role("button", name="Save HTTP").click()
    assert "http:// or https://" in error_of(page, "http-outgoing_endpoint")
    deposit = page.locator("form", has=page.get_by_role("button", name="Deposit"))
    deposit.get_by_label("Amount (USD)").fill("0")
    deposit.get_by_role("button", name="Deposit").click()
    assert error_of(page, "deposit-amount") == "Enter an amount greater than 0."
    withdraw = page.locator("form", has=page.get_by_role("button", name="Create withdrawal"))
    withdraw.get_by_label("Amount (USD)").fill("6")
    withdraw.get_by_role("button", name="Create withdrawal").click()
    assert error_of(page, "withdraw-amount") == (
        "That is more than the liquidity available to withdraw."
    )
    expect(withdraw.get_by_label("Amount (USD)")).to_have_value("6")
    withdraw.get_by_label("Amount (USD)").fill("1")
    withdraw.get_by_label("Hold for (minutes)").fill("soon")
    withdraw.get_by_role("button", name="Create withdrawal").click()
    assert "whole number of minutes" in error_of(page, "withdraw-hold_minutes")
    settle = page.locator(
        "form", has=page.get_by_role("heading", name="Post or void a withdrawal by its id")
    )
    settle.get_by_label("Withdrawal id").fill("12345")
    settle.get_by_role("button", name="Post").click()
    assert "withdrawal's id" in error_of(page, "settle-withdrawal_id")
    shot(page, "peer-errors")
    expect(page.locator("#peer-liquidity")).to_have_text("5.00 USD")  # nothing moved

    page.get_by_role("link", name="Delete peer…").click()
    page.get_by_label("Type test.bob to confirm").fill("bob")
    page.get_by_role("button", name="Delete peer").click()
    assert error_of(page, "delete-confirm") == (
        "Type the peer's ILP address, test.bob, exactly to confirm."
    )

    # the asset page's forms
    page.goto(asset_url)
    thresholds = page.locator("form", has=page.get_by_role("button", name="Save thresholds"))
    thresholds.get_by_label("Withdrawal threshold (USD)").fill("1,000")
    thresholds.get_by_role("button", name="Save thresholds").click()
    assert "thousands separators" in error_of(page, "thresholds-withdrawal_threshold")
    page.get_by_role("link", name="Delete asset…").click()
    page.get_by_label("Type USD to confirm").fill("USD")
    page.get_by_role("button", name="Delete asset").click()
    expect(page.locator(".form-error")).to_have_text(
        "Peers or wallet addresses still use this asset: delete those peers first (a wallet "
        "address cannot be deleted). Nothing was deleted."
    )
    nav(page, "Assets")
    expect(page.locator("tbody tr")).to_have_count(1)
    page.context.close()
