"""SIGTERM lets a request that is already being handled finish before the node stops."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

import httpx

from ilpnode.bootstrap import build_node
from ilpnode.serve import serve_node
from tests.support import free_port, make_settings

HANDLING_SECONDS = 0.5


async def test_in_flight_request_finishes_after_sigterm(tmp_path: Path) -> None:
    admin_port = free_port()
    node = build_node(
        make_settings(
            database_url=f"sqlite:///{tmp_path / 'node.sqlite3'}",
            admin_port=admin_port,
            connector_port=free_port(),
            connector_host="127.0.0.1",
            open_payments_port=free_port(),
            open_payments_host="127.0.0.1",
        )
    )
    handling = asyncio.Event()

    async def slow_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        handling.set()
        await asyncio.sleep(HANDLING_SECONDS)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"finished"})

    node.admin_app = slow_app  # type: ignore[assignment]
    serving = asyncio.create_task(serve_node(node))
    for _ in range(200):  # until the port listens (the node binds it when the task starts)
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", admin_port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        break
    else:
        raise AssertionError("the node never listened")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{admin_port}") as client:
        # One request, in the app when the signal comes (the server starts it as soon as it
        # serves): the shutdown, which begins at once, must let it finish.
        request = asyncio.create_task(client.get("/slow"))
        await asyncio.wait_for(handling.wait(), timeout=30)
        os.kill(os.getpid(), signal.SIGTERM)
        response = await request

    assert response.status_code == 200
    assert response.text == "finished"
    await asyncio.wait_for(serving, timeout=10)
    assert node.ledger is None  # closed after the request finished
