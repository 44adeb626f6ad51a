"""The CLI against a node without ADMIN_API_SECRET (the `make run` default, admin on loopback):
requests go unsigned, and a secret given anyway does no harm."""

from __future__ import annotations

import pytest

from .conftest import Cli, new_code

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def node_secret() -> str | None:
    return None


def test_unsigned_requests_work(cli: Cli) -> None:
    code = new_code()

    created = cli.json("assets", "create", "--code", code, "--scale", "0")
    listed = cli.ok("assets", "list").stdout
    signed_anyway = cli("assets", "list", env={"ADMIN_API_SECRET": "some-secret-0123456789"})

    asset_id = created["createAsset"]["asset"]["id"]
    assert f"{asset_id}  {code}" in listed
    assert signed_anyway.exit_code == 0
    assert asset_id in signed_anyway.stdout
