"""Two real node processes on one PostgreSQL database share the Admin API's security state: a
signed request accepted by one is a replay (401) on the other and is applied once, with the
replay guard in the database (default) and in Redis (REDIS_URL); an idempotency key used on one
answers the same on the other, and refuses other arguments there as Rafiki does."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ilpnode.admin.signature import SignedBody, signed_body
from tests.e2e.network import NodeProcess, start_node
from tests.support import TEST_REDIS_URL, migrated_throwaway_database, skip_without_redis

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

SECRET = "e2e-admin-secret-e2e-admin-secret"

CREATE_ASSET = """
mutation($i: CreateAssetInput!) { createAsset(input: $i) { asset { id code scale } } }
"""
ASSETS = "query { assets(first: 100) { edges { node { id code scale } } } }"
ASSET_LIQUIDITY = "query($id: String!) { asset(id: $id) { liquidity } }"
DEPOSIT = """
mutation($i: DepositAssetLiquidityInput!) { depositAssetLiquidity(input: $i) { success } }
"""


def sign_now(query: str, variables: dict[str, Any]) -> SignedBody:
    body = {"query": query, "variables": variables}
    return signed_body(body, secret=SECRET, now_ms=int(time.time() * 1000))


def post(node: NodeProcess, signed: SignedBody) -> httpx.Response:
    """POST exactly these bytes with exactly this signature header."""
    return httpx.post(
        f"{node.admin_url}/graphql",
        content=signed.body,
        headers={"content-type": "application/json", "signature": signed.header},
        timeout=10,
    )


def data(node: NodeProcess, query: str, variables: dict[str, Any] | None = None) -> Any:
    response = post(node, sign_now(query, variables or {}))
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def assets_with_code(node: NodeProcess, code: str) -> list[dict[str, Any]]:
    edges = data(node, ASSETS)["assets"]["edges"]
    return [edge["node"] for edge in edges if edge["node"]["code"] == code]


@pytest.fixture(scope="module")
def shared_database() -> Iterator[str]:
    yield from migrated_throwaway_database()


@pytest.fixture(scope="module", params=["database", pytest.param("redis", marks=pytest.mark.redis)])
def pair(
    request: pytest.FixtureRequest, shared_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[NodeProcess, NodeProcess]]:
    """P1 and P2 on one database, the replay guard in the database or in Redis."""
    if request.param == "redis":
        skip_without_redis()
    extra = {
        "DATABASE_URL": shared_database,
        "LEDGER_BACKEND": "postgres",
        "ADMIN_API_SECRET": SECRET,
        "REDIS_URL": TEST_REDIS_URL if request.param == "redis" else "",  # "": unset
    }
    tmp_path: Path = tmp_path_factory.mktemp(f"shared-{request.param}")
    first = start_node(tmp_path, "p1", "test.p1", **extra)
    try:
        second = start_node(tmp_path, "p2", "test.p2", **extra)
    except BaseException:
        first.stop()
        raise
    try:
        yield first, second
    finally:
        second.stop()
        first.stop()


def test_a_signed_mutation_replayed_to_the_other_process_is_refused_and_applied_once(
    pair: tuple[NodeProcess, NodeProcess],
) -> None:
    first, second = pair
    code = f"R{uuid.uuid4().hex[:6].upper()}"
    create = sign_now(CREATE_ASSET, {"i": {"code": code, "scale": 2}})

    accepted = post(first, create)
    replayed_elsewhere = post(second, create)
    replayed_here = post(first, create)

    assert accepted.status_code == 200
    asset = accepted.json()["data"]["createAsset"]["asset"]
    assert replayed_elsewhere.status_code == 401
    assert replayed_elsewhere.json() == {
        "error": "unauthorized",
        "reason": "signature already used",
    }
    assert replayed_here.status_code == 401
    assert assets_with_code(second, code) == [asset]

    deposit = sign_now(
        DEPOSIT,
        {
            "i": {
                "assetId": asset["id"],
                "amount": "250",
                "id": str(uuid.uuid4()),
                "idempotencyKey": str(uuid.uuid4()),
            }
        },
    )
    assert post(second, deposit).json()["data"]["depositAssetLiquidity"]["success"] is True
    assert post(first, deposit).status_code == 401
    for node in pair:
        assert data(node, ASSET_LIQUIDITY, {"id": asset["id"]})["asset"]["liquidity"] == "250"


def test_an_idempotency_key_holds_across_processes(
    pair: tuple[NodeProcess, NodeProcess],
) -> None:
    first, second = pair
    code = f"I{uuid.uuid4().hex[:6].upper()}"
    key = str(uuid.uuid4())
    arguments = {"i": {"code": code, "scale": 2, "idempotencyKey": key}}

    original = data(first, CREATE_ASSET, arguments)["createAsset"]["asset"]
    again = data(second, CREATE_ASSET, arguments)["createAsset"]["asset"]
    other = post(
        second, sign_now(CREATE_ASSET, {"i": {"code": code, "scale": 3, "idempotencyKey": key}})
    ).json()

    assert again == original
    [error] = other["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"] == (
        f"Incoming arguments are different than the original request for idempotencyKey: {key}"
    )
    assert assets_with_code(first, code) == [original]

    deposit = {
        "i": {
            "assetId": original["id"],
            "amount": "40",
            "id": str(uuid.uuid4()),
            "idempotencyKey": str(uuid.uuid4()),
        }
    }
    for node in (first, second, first):
        assert data(node, DEPOSIT, deposit)["depositAssetLiquidity"]["success"] is True
    assert data(second, ASSET_LIQUIDITY, {"id": original["id"]})["asset"]["liquidity"] == "40"


def test_healthz_reports_redis_when_it_is_configured(
    pair: tuple[NodeProcess, NodeProcess],
) -> None:
    for node in pair:
        health = httpx.get(f"{node.admin_url}/healthz", timeout=10)
        assert health.status_code == 200
        assert health.json().get("redis") == ("ok" if node.env["REDIS_URL"] else None)
