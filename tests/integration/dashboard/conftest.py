"""Fixtures: a started node (SQLite, embedded ledger) with ADMIN_API_SECRET, and a browser-like
client of its dashboard in-process (httpx.ASGITransport: cookies kept, no ports)."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ilpnode.bootstrap import Node, build_node
from tests.support import make_settings

SECRET = "dashboard-test-secret-0123456789"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_ERROR = re.compile(r'<p class="error" id="([\w-]+)-error">([^<]*)</p>')
_FLASH = re.compile(r'<p class="flash (ok|error)"[^>]*>([^<]*)</p>')


class Dashboard:
    """Speaks to the dashboard as a browser would: GET pages, POST forms with the CSRF token."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.csrf = ""

    async def get(self, path: str) -> httpx.Response:
        response = await self.client.get(f"/dashboard{path}")
        found = _CSRF.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    async def post(self, path: str, data: dict[str, str], *, csrf: bool = True) -> httpx.Response:
        body = {**data, "csrf_token": self.csrf} if csrf else data
        return await self.client.post(f"/dashboard{path}", data=body)

    async def login(self) -> None:
        await self.get("/login")
        response = await self.post("/login", {"secret": SECRET, "next": "/dashboard/"})
        assert response.status_code == 303, response.text
        await self.get("/")  # the new session's CSRF token

    async def follow(self, response: httpx.Response) -> httpx.Response:
        """The page a POST redirected to (post/redirect/get)."""
        assert response.status_code == 303, (response.status_code, response.text[:2000])
        location = response.headers["location"]
        assert location.startswith("/dashboard")
        return await self.get(location.removeprefix("/dashboard"))


def errors(page: httpx.Response) -> dict[str, str]:
    """Field errors shown on a page, by `<form prefix>-<field>`."""
    return {key: html.unescape(text) for key, text in _ERROR.findall(page.text)}


def flashes(page: httpx.Response) -> list[tuple[str, str]]:
    return [(level, html.unescape(text)) for level, text in _FLASH.findall(page.text)]


def field_value(page: httpx.Response, field_id: str) -> str:
    """The value an input (or the text a textarea) shows."""
    found = re.search(rf'id="{field_id}"[^>]*?value="([^"]*)"', page.text) or re.search(
        rf'id="{field_id}"[^>]*>([^<]*)</textarea>', page.text
    )
    assert found, f"no field {field_id}"
    return html.unescape(found.group(1))


@pytest.fixture
def node_settings(tmp_path: Path) -> dict[str, Any]:
    return {"database_url": f"sqlite:///{tmp_path / 'node.sqlite3'}", "admin_api_secret": SECRET}


@pytest.fixture
async def node(node_settings: dict[str, Any]) -> AsyncIterator[Node]:
    started = build_node(make_settings(**node_settings))
    await started.start()
    try:
        yield started
    finally:
        await started.close()


@pytest.fixture
async def anonymous(node: Node) -> AsyncIterator[Dashboard]:
    """A client that has not logged in."""
    transport = httpx.ASGITransport(app=node.admin_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        yield Dashboard(client)


@pytest.fixture
async def dash(anonymous: Dashboard) -> Dashboard:
    """A logged-in client."""
    await anonymous.login()
    return anonymous


async def create_asset(dash: Dashboard, code: str = "USD", scale: str = "2") -> str:
    """Create an asset through its form; its id."""
    await dash.get("/assets/new")
    response = await dash.post(
        "/assets/new",
        {"code": code, "scale": scale, "withdrawal_threshold": "", "liquidity_threshold": ""},
    )
    page = await dash.follow(response)
    asset_id = str(page.url).rsplit("/", 1)[-1]
    return asset_id


def peer_form(asset_id: str, **changes: str) -> dict[str, str]:
    form = {
        "name": "Bob",
        "static_ilp_address": "test.bob",
        "asset_id": asset_id,
        "max_packet_amount": "10",
        "incoming_tokens": "bob-sends-this",
        "outgoing_token": "we-send-this",
        "outgoing_endpoint": "http://127.0.0.1:9/ilp",
        "liquidity_threshold": "5",
        "initial_liquidity": "100",
        "routes": "g.bobnet",
    }
    form.update(changes)
    return form


async def create_peer(dash: Dashboard, asset_id: str, **changes: str) -> str:
    """Create a peer through Create Peer; its id."""
    await dash.get("/peers/new")
    page = await dash.follow(await dash.post("/peers/new", peer_form(asset_id, **changes)))
    return str(page.url).rsplit("/", 1)[-1]
