"""The fee form on an asset's page in a real browser: an error is shown next to its field with
what was typed kept, nothing is saved; a valid fee is then in force and in the fee history."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.network import NodeProcess

from .conftest import NARROW, dashboard, log_in, new_page, shot

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.mark.parametrize("width", [1280, NARROW])
def test_set_a_fee_on_an_asset(browser: Browser, alice: NodeProcess, width: int) -> None:
    page = new_page(browser, width)
    log_in(page, alice)
    page.goto(dashboard(alice, "/assets/new"))
    page.get_by_label("Code").fill("USD")
    page.get_by_label("Scale").fill("2")
    page.get_by_role("button", name="Create asset").click()
    expect(page.locator("#sending-fee")).to_have_text("none")
    expect(page.get_by_text("No fee was ever set.")).to_be_visible()

    page.get_by_label("Fee", exact=True).select_option("RECEIVING")
    page.get_by_label("Fixed fee (USD)").fill("0.255")
    page.get_by_label("Basis points").fill("20000")
    page.get_by_role("button", name="Set fee").click()

    expect(page.locator("#fee-fixed-error")).to_have_text("USD has 2 decimal places: 0.255 has 3.")
    expect(page.locator("#fee-basis_points-error")).to_have_text(
        "Enter a whole number from 0 to 10000 (100 basis points are 1 %)."
    )
    expect(page.get_by_label("Basis points")).to_have_value("20000")
    expect(page.get_by_label("Basis points")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Fee", exact=True)).to_have_value("RECEIVING")
    expect(page.locator("#receiving-fee")).to_have_text("none")
    shot(page, "asset-fee-errors")

    page.get_by_label("Fixed fee (USD)").fill("0.25")
    page.get_by_label("Basis points").fill("150")
    page.get_by_role("button", name="Set fee").click()

    expect(page.locator(".flash")).to_have_text("Receiving fee of USD set.")
    expect(page.locator("#receiving-fee")).to_have_text("0.25 USD + 150 basis points (1.50 %)")
    expect(page.locator("#sending-fee")).to_have_text("none")
    shot(page, "asset-fees")
    page.get_by_role("link", name="Fee history").click()
    expect(page.get_by_role("heading", name="Fee history")).to_be_visible()
    expect(page.locator("table.fees tbody tr")).to_have_count(1)
    expect(page.locator("table.fees tbody tr td").nth(1)).to_have_text("Receiving")
