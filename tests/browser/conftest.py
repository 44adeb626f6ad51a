"""Browser tests: Playwright drives Debian's Chromium (/usr/bin/chromium; no browser is ever
downloaded) against real ilpnode processes on loopback (tests/e2e/network.py).

Screenshots of every page go to test-artifacts/screenshots/ (not committed). Without Chromium
the tests are skipped on a developer machine and fail under CI (`CI` set), like the PostgreSQL
tests; `.ci/run` installs it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from tests.e2e.network import NodeProcess, start_node

CHROMIUM: Final = "/usr/bin/chromium"
CHROMIUM_ARGS: Final = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SECRET: Final = "browser-test-secret-0123456789"
SCREENSHOTS: Final = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
WIDE, NARROW = 1280, 390


@pytest.fixture
def playwright() -> Iterator[Playwright]:
    """Per test: while Playwright's sync API is open it holds an asyncio loop as the running one
    in this thread, which would break every async test that runs after it."""
    if not os.access(CHROMIUM, os.X_OK):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"no {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield launched
    finally:
        launched.close()


@pytest.fixture
def alice(tmp_path: Path) -> Iterator[NodeProcess]:
    """A node with ADMIN_API_SECRET (so the dashboard asks for a login), admin on loopback."""
    node = start_node(
        tmp_path,
        "alice",
        "test.alice",
        ADMIN_API_SECRET=SECRET,
        ADMIN_HOST="127.0.0.1",
        INSTANCE_NAME="Alice",
    )
    try:
        yield node
    finally:
        node.stop()


def new_page(browser: Browser, width: int = WIDE) -> Page:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def log_in(page: Page, node: NodeProcess) -> None:
    page.goto(f"{node.admin_url}/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_label("Admin API secret").fill(SECRET)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()


def shot(page: Page, name: str) -> None:
    """Save a full-page screenshot as test-artifacts/screenshots/<name>-<width>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"] if page.viewport_size else 0
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)


def dashboard(node: NodeProcess, path: str = "/") -> str:
    return f"{node.admin_url}/dashboard{path}"


def nav(page: Page, section: str) -> None:
    """Click a section in the header's navigation."""
    page.get_by_role("navigation", name="Sections").get_by_role("link", name=section).click()
