"""Every page at 1280 px (a laptop) and 390 px (a phone): its table or form is visible and the
body never scrolls sideways. A screenshot of each page is saved."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.network import NodeProcess, prepare_to, send

from .conftest import NARROW, WIDE, dashboard, log_in, new_page, shot

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

LONG_ENDPOINT = "https://a-rather-long-host-name-for-a-connector.example.com:3002/ilp/over/http/v1"


def assert_no_sideways_scroll(page: Page, name: str) -> None:
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth]"
    )
    document, body, viewport = widths
    assert document <= viewport, f"{name}: the page is {document} px wide in {viewport} px"
    assert body <= viewport, f"{name}: the body is {body} px wide in {viewport} px"


def populate(page: Page, alice: NodeProcess) -> tuple[str, str]:
    """An asset and a peer with long values; traffic from the peer. (asset, peer) page paths."""
    page.goto(dashboard(alice, "/assets/new"))
    page.get_by_label("Code").fill("USD")
    page.get_by_label("Scale").fill("2")
    page.get_by_label("Liquidity threshold").fill("1000")
    page.get_by_role("button", name="Create asset").click()
    asset_path = "/" + page.url.split("/dashboard/", 1)[1]
    page.goto(dashboard(alice, "/peers/new"))
    page.get_by_label("Name").fill("The Other Great Wallet of a very long name indeed")
    page.get_by_label("Static ILP address").fill("test.othergreatwallet.with.many.segments")
    page.get_by_label("Outgoing endpoint").fill(LONG_ENDPOINT)
    page.get_by_label("Outgoing token").fill("out")
    page.get_by_label("Incoming tokens").fill("wallet-sends-this")
    page.get_by_label("Liquidity threshold").fill("40")
    page.get_by_label("Initial liquidity").fill("123456.78")
    page.get_by_role("button", name="Create peer").click()
    peer_path = "/" + page.url.split("/dashboard/", 1)[1]
    with httpx.Client(timeout=10) as client:  # a packet to an unknown address: rejected, counted
        send(client, alice.connector_url, "wallet-sends-this", prepare_to("test.nowhere", 5))
    return asset_path, peer_path


@pytest.mark.parametrize("width", [WIDE, NARROW])
def test_pages_fit_the_screen(browser: Browser, alice: NodeProcess, width: int) -> None:
    page = new_page(browser, width)
    page.goto(dashboard(alice, "/login"))
    expect(page.get_by_label("Admin API secret")).to_be_visible()
    assert_no_sideways_scroll(page, "login")
    shot(page, "login")
    log_in(page, alice)
    asset_path, peer_path = populate(page, alice)
    pages = {
        "overview": ("/", "table"),
        "peers": ("/peers", "table"),
        "peer-new": ("/peers/new", "form"),
        "peer": (peer_path, "form"),
        "peer-delete": (peer_path + "/delete", "form"),
        "assets": ("/assets", "table"),
        "asset-new": ("/assets/new", "form"),
        "asset": (asset_path, "form"),
        "asset-fees": (asset_path + "/fees", "h1"),
    }
    for name, (path, element) in pages.items():
        page.goto(dashboard(alice, path))
        expect(page.locator(f"main {element}").first).to_be_visible()
        assert_no_sideways_scroll(page, name)
        shot(page, name)
    page.goto(dashboard(alice, "/"))
    traffic = page.locator("section", has_text="Traffic: the last 15 minutes")
    expect(traffic.locator("tbody tr")).to_have_count(1)
    expect(traffic).to_contain_text("0.05 USD")  # the rejected amount
    expect(traffic).to_contain_text(re.compile(r"F02: 1"))
    page.context.close()
