"""Check connection against a second real node: its IL-DCP answer, and a refused token, in
words."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.network import NodeProcess, start_node

from .conftest import dashboard, log_in, new_page, shot

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture
def bob(tmp_path: Path) -> Iterator[NodeProcess]:
    node = start_node(tmp_path, "bob", "test.bob")
    try:
        yield node
    finally:
        node.stop()


def test_check_connection_through_a_real_peer(
    browser: Browser, alice: NodeProcess, bob: NodeProcess
) -> None:
    # Bob's side, through his Admin API: Alice is his peer, and sends `alice-sends-this`.
    bob_asset = bob.create_asset("USD", 2)
    bob.create_peer(
        asset_id=bob_asset,
        address="test.alice",
        incoming_token="alice-sends-this",
        outgoing_token="bob-sends-this",
        endpoint=alice.connector_url,
    )
    # Alice's side, through her dashboard
    page = new_page(browser)
    log_in(page, alice)
    page.goto(dashboard(alice, "/assets/new"))
    page.get_by_label("Code").fill("USD")
    page.get_by_label("Scale").fill("2")
    page.get_by_role("button", name="Create asset").click()
    for name, token in (("Bob", "alice-sends-this"), ("Bob, wrong token", "not-the-token")):
        page.goto(dashboard(alice, "/peers/new"))
        page.get_by_label("Name").fill(name)
        page.get_by_label("Static ILP address").fill(
            "test.bob" if token == "alice-sends-this" else "test.bob.wrong"
        )
        page.get_by_label("Outgoing endpoint").fill(bob.connector_url)
        page.get_by_label("Outgoing token").fill(token)
        page.get_by_role("button", name="Create peer").click()
        expect(page.locator(".flash")).to_have_text(f"Peer {name} created.")
        expect(page.get_by_text("Link not checked")).to_be_visible()
        page.get_by_role("button", name="Check connection").click()
        result = page.locator("#check-result")
        if token == "alice-sends-this":
            expect(page.locator(".flash")).to_contain_text("the link works")
            expect(result).to_contain_text(f"Peer Bob at {bob.connector_url} accepted our token.")
            expect(result).to_contain_text("It knows this node as test.alice, asset USD scale 2.")
            expect(page.locator(".facts").get_by_text("Link works")).to_be_visible()
            shot(page, "peer-check")
        else:
            expect(page.locator(".flash.error")).to_contain_text("the link does not work")
            expect(result).to_contain_text("refused our outgoing token (HTTP 401)")
            expect(page.locator(".facts").get_by_text("Link fails")).to_be_visible()
    page.goto(dashboard(alice, "/peers"))
    expect(page.locator("tbody tr", has_text="Bob, wrong token")).to_contain_text("Link fails")
    expect(page.locator("tbody tr", has_text="test.bob").first).to_be_visible()
    page.context.close()
