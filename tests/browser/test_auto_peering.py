"""Peer by URL (auto-peering) from the dashboard, against a second real node's auto-peering
server."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.network import start_node
from tests.support import free_port

from .conftest import SECRET, dashboard, log_in, new_page, shot

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_peer_by_url_with_a_real_node(browser: Browser, tmp_path: Path) -> None:
    bob_connector, bob_peering = free_port(), free_port()
    bob = start_node(
        tmp_path,
        "bob",
        "test.bob",
        CONNECTOR_PORT=str(bob_connector),
        ILP_CONNECTOR_URL=f"http://127.0.0.1:{bob_connector}",
        INSTANCE_NAME="Bob",
        ENABLE_AUTO_PEERING="true",
        AUTO_PEERING_SERVER_HOST="127.0.0.1",
        AUTO_PEERING_SERVER_PORT=str(bob_peering),
        AUTO_PEERING_DEFAULT_LIQUIDITY="100000",
    )
    alice_connector = free_port()
    alice = start_node(
        tmp_path,
        "alice",
        "test.alice",
        CONNECTOR_PORT=str(alice_connector),
        ILP_CONNECTOR_URL=f"http://127.0.0.1:{alice_connector}",
        INSTANCE_NAME="Alice",
        ADMIN_API_SECRET=SECRET,
        ADMIN_HOST="127.0.0.1",
    )
    try:
        bob.create_asset("USD", 2)
        page = new_page(browser)
        log_in(page, alice)
        page.goto(dashboard(alice, "/assets/new"))
        page.get_by_label("Code").fill("USD")
        page.get_by_label("Scale").fill("2")
        page.get_by_role("button", name="Create asset").click()
        page.goto(dashboard(alice, "/peers"))
        page.get_by_role("link", name="Peer by URL (auto-peering)").click()
        # a URL where nothing answers: the field says so
        page.get_by_label("Auto-peering URL").fill(f"http://127.0.0.1:{free_port()}/")
        page.get_by_role("button", name="Peer by URL").click()
        expect(page.locator("#auto-peer_url-error")).to_contain_text(
            "Peer URL is invalid or peer does not support auto-peering"
        )
        page.get_by_label("Auto-peering URL").fill(f"http://127.0.0.1:{bob_peering}/")
        page.get_by_label("Liquidity to deposit").fill("25")
        shot(page, "peer-auto")
        page.get_by_role("button", name="Peer by URL").click()
        expect(page.locator(".flash")).to_have_text("Peered with Bob through its URL.")
        expect(page.locator("#peer-liquidity")).to_have_text("25.00 USD")
        expect(page.locator("h1")).to_contain_text("test.bob")
        page.get_by_role("button", name="Check connection").click()
        expect(page.locator("#check-result")).to_contain_text(
            "It knows this node as test.alice, asset USD scale 2."
        )
        page.context.close()
    finally:
        alice.stop()
        bob.stop()
