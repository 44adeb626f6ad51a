"""An operator's session in a real browser: log in, create an asset and a peer, edit it, move
liquidity (deposit; withdraw and post; withdraw and void), withdraw it all, delete the peer."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.network import NodeProcess

from .conftest import dashboard, log_in, nav, new_page, shot

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def liquidity(page: Page) -> str:
    return page.locator("#peer-liquidity").inner_text()


def flash(page: Page) -> str:
    return page.locator(".flash").first.inner_text()


def test_operator_walkthrough(browser: Browser, alice: NodeProcess) -> None:
    page = new_page(browser)
    page.goto(dashboard(alice, "/peers"))
    shot(page, "login")
    log_in(page, alice)
    expect(page.locator(".facts")).to_contain_text("test.alice")
    expect(page.locator(".facts")).to_contain_text("Alice")

    # an asset
    nav(page, "Assets")
    page.get_by_role("link", name="Create asset").click()
    shot(page, "asset-new")
    page.get_by_label("Code").fill("USD")
    page.get_by_label("Scale").fill("2")
    page.get_by_role("button", name="Create asset").click()
    expect(page.locator(".flash")).to_have_text("Asset USD (scale 2) created.")

    # a peer, through Create Peer
    nav(page, "Peers")
    page.get_by_role("link", name="Create peer").click()
    page.get_by_label("Name").fill("Bob")
    page.get_by_label("Static ILP address").fill("test.bob")
    page.get_by_label("Asset").select_option(label="USD (scale 2)")
    page.get_by_label("Max packet amount").fill("10")
    page.get_by_label("Outgoing endpoint").fill("http://127.0.0.1:9/ilp")
    page.get_by_label("Outgoing token").fill("alice-sends-this")
    page.get_by_label("Incoming tokens").fill("bob-sends-this")
    page.get_by_label("Liquidity threshold").fill("50")
    page.get_by_label("Initial liquidity").fill("100")
    page.get_by_label("Extra routes").fill("g.bobnet")
    shot(page, "peer-new")
    page.get_by_role("button", name="Create peer").click()
    expect(page.locator(".flash")).to_have_text("Peer Bob created.")
    assert liquidity(page) == "100.00 USD"
    peer_url = page.url

    # in the table
    nav(page, "Peers")
    row = page.locator("tbody tr", has_text="test.bob")
    expect(row).to_contain_text("Bob")
    expect(row).to_contain_text("USD")
    expect(row).to_contain_text("http://127.0.0.1:9/ilp")
    expect(row).to_contain_text("100.00 USD")
    expect(row.locator("meter")).to_be_visible()
    shot(page, "peers")

    # edit it
    row.get_by_role("link", name="Bob").click()
    general = page.locator("form", has=page.get_by_role("button", name="Save general"))
    general.get_by_label("Name").fill("Bob's node")
    general.get_by_label("Max packet amount (USD)").fill("")
    general.get_by_role("button", name="Save general").click()
    expect(page.locator(".flash")).to_have_text("Peer Bob's node updated.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bob's node")
    expect(general.get_by_label("Max packet amount (USD)")).to_have_value("")
    routes = page.locator("form", has=page.get_by_role("button", name="Save routes"))
    routes.get_by_label("Extra routes").fill("g.bobnet\ng.bobnet.eu")
    routes.get_by_role("button", name="Save routes").click()
    expect(page.locator(".facts")).to_contain_text("test.bob, g.bobnet, g.bobnet.eu")

    # deposit
    deposit = page.locator("form", has=page.get_by_role("button", name="Deposit"))
    deposit.get_by_label("Amount (USD)").fill("50")
    deposit.get_by_role("button", name="Deposit").click()
    expect(page.locator(".flash")).to_have_text("Deposited 50.00 USD to peer Bob's node.")
    assert liquidity(page) == "150.00 USD"

    # withdraw, then post
    withdraw = page.locator("form", has=page.get_by_role("button", name="Create withdrawal"))
    withdraw.get_by_label("Amount (USD)").fill("20")
    withdraw.get_by_role("button", name="Create withdrawal").click()
    expect(page.locator(".flash")).to_contain_text("Withdrawal of 20.00 USD")
    assert liquidity(page) == "130.00 USD"  # reserved at once
    pending = page.locator("tbody tr", has_text="20.00 USD")
    shot(page, "peer")
    pending.get_by_role("button", name="Post").click()
    expect(page.locator(".flash")).to_contain_text("posted: the money has left the liquidity")
    assert liquidity(page) == "130.00 USD"

    # withdraw, then void
    withdraw.get_by_label("Amount (USD)").fill("30")
    withdraw.get_by_role("button", name="Create withdrawal").click()
    assert liquidity(page) == "100.00 USD"
    page.locator("tbody tr", has_text="30.00 USD").get_by_role("button", name="Void").click()
    expect(page.locator(".flash")).to_contain_text("voided: its amount is back")
    assert liquidity(page) == "130.00 USD"
    expect(page.get_by_text("None made from this browser.")).to_be_visible()

    # a peer with liquidity cannot be deleted, in words
    page.get_by_role("link", name="Delete peer…").click()
    expect(page.get_by_role("alert")).to_contain_text("still has 130.00 USD of liquidity")
    page.get_by_label("Type test.bob to confirm").fill("test.bob")
    page.get_by_role("button", name="Delete peer").click()
    expect(page.locator(".form-error")).to_contain_text("This peer still has liquidity")
    shot(page, "peer-delete")

    # withdraw it all at once, then delete
    page.goto(peer_url)
    withdraw.get_by_label("Amount (USD)").fill("130")
    withdraw.get_by_label("Hold for (minutes)").fill("0")
    withdraw.get_by_role("button", name="Create withdrawal").click()
    expect(page.locator(".flash")).to_have_text(
        "Withdrew 130.00 USD from peer Bob's node (posted at once)."
    )
    assert liquidity(page) == "0.00 USD"
    page.get_by_role("link", name="Delete peer…").click()
    page.get_by_label("Type test.bob to confirm").fill("test.bob")
    page.get_by_role("button", name="Delete peer").click()
    expect(page.locator(".flash")).to_have_text("Peer Bob's node deleted.")
    expect(page.get_by_text("No peers yet.")).to_be_visible()
    assert re.search(r"/dashboard/peers$", page.url)

    # the asset is unused now: delete it too
    nav(page, "Assets")
    page.get_by_role("link", name="USD").click()
    shot(page, "asset")
    page.get_by_role("link", name="Delete asset…").click()
    page.get_by_label("Type USD to confirm").fill("USD")
    page.get_by_role("button", name="Delete asset").click()
    expect(page.locator(".flash")).to_have_text("Asset USD (scale 2) deleted.")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.context.close()
