"""Rafiki's request signatures on a node with ADMIN_API_SECRET: valid passes; a wrong secret,
an expired, a replayed or a missing signature is 401 and changes nothing."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from ilpnode.admin.signature import SignedBody, signed_body
from ilpnode.bootstrap import Node, build_node
from tests.support import make_settings

from .queries import ASSETS, CREATE_ASSET

SECRET = "s3cret-s3cret-s3cret-s3cret"


@pytest.fixture
async def signed_node(node_settings: dict[str, Any]) -> AsyncIterator[Node]:
    node = build_node(
        make_settings(**node_settings, admin_api_secret=SECRET, admin_api_signature_ttl_seconds=30)
    )
    await node.start()
    try:
        yield node
    finally:
        await node.close()


async def _send(node: Node, body: bytes, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=node.admin_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://admin") as client:
        return await client.post(
            "/graphql", content=body, headers={"content-type": "application/json", **headers}
        )


def _signed(
    query: str, variables: dict[str, Any], *, secret: str = SECRET, age_s: float = 0
) -> SignedBody:
    now_ms = int((time.time() - age_s) * 1000)
    return signed_body({"query": query, "variables": variables}, secret=secret, now_ms=now_ms)


async def _asset_count(node: Node) -> int:
    signed = _signed(ASSETS, {})
    response = await _send(node, signed.body, {"signature": signed.header})
    assert response.status_code == 200
    return len(response.json()["data"]["assets"]["edges"])


async def test_valid_then_wrong_expired_replayed_missing(signed_node: Node) -> None:
    variables = {"input": {"code": "USD", "scale": 2}}
    valid = _signed(CREATE_ASSET, variables)
    tenant = str(signed_node.settings.operator_tenant_id)
    ok = await _send(signed_node, valid.body, {"signature": valid.header, "tenant-id": tenant})
    assert ok.status_code == 200
    assert ok.json()["data"]["createAsset"]["asset"]["code"] == "USD"

    other = {"input": {"code": "EUR", "scale": 2}}
    wrong = _signed(CREATE_ASSET, other, secret="not-the-secret-at-all")
    expired = _signed(CREATE_ASSET, other, age_s=31)
    fresh = _signed(CREATE_ASSET, other)
    attempts = {
        "wrong secret": (wrong.body, {"signature": wrong.header}),
        "expired": (expired.body, {"signature": expired.header}),
        "replayed": (valid.body, {"signature": valid.header}),
        "missing": (fresh.body, {}),
        "other tenant": (
            fresh.body,
            {"signature": fresh.header, "tenant-id": "11111111-1111-4111-8111-111111111111"},
        ),
        "tampered body": (fresh.body.replace(b"EUR", b"GBP"), {"signature": fresh.header}),
    }
    for name, (body, headers) in attempts.items():
        response = await _send(signed_node, body, headers)
        assert response.status_code == 401, name
    assert await _asset_count(signed_node) == 1


async def test_healthz_needs_no_signature(signed_node: Node) -> None:
    transport = httpx.ASGITransport(app=signed_node.admin_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://admin") as client:
        assert (await client.get("/healthz")).status_code == 200


async def test_deeply_nested_json_without_the_secret_is_400(signed_node: Node) -> None:
    """The body is parsed before its HMAC can be checked: a caller with a well-formed header
    and no secret must not reach a 500 (RecursionError) with a deep body."""
    body = b"[" * 5000 + b"]" * 5000
    header = f"t={int(time.time() * 1000)}, v1={'0' * 64}"
    response = await _send(signed_node, body, {"signature": header})
    assert response.status_code == 400
    assert response.json()["reason"] == "body nests deeper than 64 levels"
    assert await _asset_count(signed_node) == 0
