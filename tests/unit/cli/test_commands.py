"""The commands against a fake Admin API: the GraphQL they send (inputs, ids, keys, pages) and
what they print. The real node is exercised in tests/integration/cli."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import pytest
from click.testing import CliRunner, Result

from ilpnode.cli import main

from .fake_api import FakeApi, data, error

ENV = {"ILPNODE_ADMIN_URL": "http://node:3001", "ADMIN_API_SECRET": "s" * 20}
PEER = {
    "id": "p1",
    "name": "Other",
    "staticIlpAddress": "g.other",
    "routes": ["g.other"],
    "maxPacketAmount": None,
    "liquidityThreshold": None,
    "liquidity": "10000",
    "createdAt": "2026-01-01T00:00:00.000Z",
    "http": {"outgoing": {"endpoint": "http://old.example", "authToken": "old-token"}},
    "asset": {"id": "a1", "code": "USD", "scale": 2},
}


def run(
    api: FakeApi, monkeypatch: pytest.MonkeyPatch, *args: str, input: str | None = None
) -> Result:
    with api.installed(monkeypatch):
        return CliRunner(env=ENV).invoke(main, list(args), input=input)


def _page(ids: list[str], *, more: bool) -> dict[str, Any]:
    edges = [
        {"cursor": i, "node": {"id": i, "code": "C" + i, "scale": 2, "liquidity": "0"}} for i in ids
    ]
    return {"assets": {"edges": edges, "pageInfo": {"endCursor": ids[-1], "hasNextPage": more}}}


def test_list_reads_every_page_and_merges_them_for_json(monkeypatch: pytest.MonkeyPatch) -> None:
    api = FakeApi(data(_page(["1", "2"], more=True)), data(_page(["3"], more=False)))

    result = run(api, monkeypatch, "assets", "list", "--json")

    assert result.exit_code == 0, result.output
    variables = [body["variables"] for body in api.bodies]
    assert variables == [{"first": 100, "after": None}, {"first": 100, "after": "2"}]
    merged = json.loads(result.stdout)["assets"]
    assert [edge["node"]["id"] for edge in merged["edges"]] == ["1", "2", "3"]
    assert merged["pageInfo"] == {"endCursor": "3", "hasNextPage": False}


def test_list_first_reads_one_page(monkeypatch: pytest.MonkeyPatch) -> None:
    api = FakeApi(data(_page(["1"], more=True)))

    result = run(api, monkeypatch, "assets", "list", "--first", "1")

    assert result.exit_code == 0, result.output
    assert [body["variables"] for body in api.bodies] == [{"first": 1}]
    assert result.stdout.splitlines() == [
        "ID  CODE  SCALE  LIQUIDITY",
        "1   C1        2          0",
    ]


def test_a_repeated_cursor_stops_the_listing(monkeypatch: pytest.MonkeyPatch) -> None:
    api = FakeApi(data(_page(["1"], more=True)), data(_page(["1"], more=True)))

    result = run(api, monkeypatch, "assets", "list")

    assert result.exit_code == 1
    assert result.stderr == "ilpnode: the Admin API repeated the cursor 1 of assets\n"


def test_deposit_sends_a_fresh_transfer_id_and_key_and_the_amount_as_a_string(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    liquidity = {"peer": {"id": "p1", "liquidity": "10500", "asset": PEER["asset"]}}
    api = FakeApi(
        data({"depositPeerLiquidity": {"success": True}}),
        data(liquidity),
        data({"depositPeerLiquidity": {"success": True}}),
        data(liquidity),
    )

    first = run(api, monkeypatch, "liquidity", "deposit", "--peer", "p1", "500")
    second = run(api, monkeypatch, "liquidity", "deposit", "--peer", "p1", "500")

    assert first.exit_code == second.exit_code == 0, first.output
    one, two = api.bodies[0]["variables"]["input"], api.bodies[2]["variables"]["input"]
    assert (one["peerId"], one["amount"]) == ("p1", "500")
    assert UUID(one["id"]).version == UUID(one["idempotencyKey"]).version == 4
    assert one["id"] != two["id"]
    assert one["idempotencyKey"] != two["idempotencyKey"]
    assert "liquidity now 10500 (105.00 USD)" in first.stdout


def test_withdraw_prints_its_id_alone_on_stdout(monkeypatch: pytest.MonkeyPatch) -> None:
    liquidity = {"asset": {"id": "a1", "code": "USD", "scale": 2, "liquidity": "0"}}
    api = FakeApi(data({"createAssetLiquidityWithdrawal": {"success": True}}), data(liquidity))

    result = run(api, monkeypatch, "liquidity", "withdraw", "--asset", "a1", "7")

    assert result.exit_code == 0, result.output
    sent = api.bodies[0]["variables"]["input"]
    assert result.stdout == f"{sent['id']}\n"
    assert (sent["timeoutSeconds"], sent["assetId"]) == ("3600", "a1")
    assert f"ilpnode liquidity post {sent['id']}" in result.stderr


def test_withdraw_needs_exactly_one_target(monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(
        FakeApi(), monkeypatch, "liquidity", "withdraw", "--asset", "a", "--peer", "p", "1"
    )

    assert result.exit_code == 2
    assert "give exactly one of --peer ID and --asset ID" in result.stderr


def test_update_peer_endpoint_alone_sends_back_the_current_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    updated = {**PEER, "http": {"outgoing": {"endpoint": "http://new.example", "authToken": "x"}}}
    api = FakeApi(data({"peer": PEER}), data({"updatePeer": {"peer": updated}}))

    result = run(
        api,
        monkeypatch,
        "peers",
        "update",
        "p1",
        "--endpoint",
        "http://new.example",
        "--clear",
        "name",
    )

    assert result.exit_code == 0, result.output
    sent = api.bodies[1]["variables"]["input"]
    assert sent == {
        "id": "p1",
        "name": None,
        "http": {"outgoing": {"endpoint": "http://new.example", "authToken": "old-token"}},
    }
    assert "old-token" not in result.stdout


def test_update_peer_contradictions_and_no_changes_are_usage_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    nothing = run(FakeApi(), monkeypatch, "peers", "update", "p1")
    both = run(FakeApi(), monkeypatch, "peers", "update", "p1", "--name", "x", "--clear", "name")

    assert nothing.exit_code == both.exit_code == 2
    assert "nothing to update" in nothing.stderr
    assert "contradict" in both.stderr


def test_delete_asks_first_and_sends_nothing_when_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    api = FakeApi(data({"peer": PEER}))

    result = run(api, monkeypatch, "peers", "delete", "p1", input="n\n")

    assert result.exit_code == 1
    assert "Delete peer p1 (Other, g.other, liquidity 10000 (100.00 USD))?" in result.stdout
    assert len(api.requests) == 1  # only the read


def test_graphql_errors_are_one_line_each(monkeypatch: pytest.MonkeyPatch) -> None:
    api = FakeApi(error("Asset already exists", "DUPLICATE", status=400))

    result = run(api, monkeypatch, "assets", "create", "--code", "USD", "--scale", "2")

    assert result.exit_code == 1
    assert result.stderr == "ilpnode: Asset already exists (DUPLICATE)\n"
    assert result.stdout == ""


def test_admin_url_must_be_http(monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(FakeApi(), monkeypatch, "assets", "list", "--admin-url", "localhost:3001")

    assert result.exit_code == 2
    assert "is not an http(s) URL" in result.stderr


ASSET = {
    "id": "a1",
    "code": "USD",
    "scale": 2,
    "liquidity": "0",
    "withdrawalThreshold": None,
    "liquidityThreshold": None,
    "createdAt": "2026-01-01T00:00:00.000Z",
    "sendingFee": None,
    "receivingFee": None,
}
FEE = {
    "id": "f1",
    "assetId": "a1",
    "type": "RECEIVING",
    "fixed": "150",
    "basisPoints": 25,
    "createdAt": "2026-01-02T00:00:00.000Z",
}


def test_set_fee_sends_rafikis_input_and_prints_the_fee(monkeypatch: pytest.MonkeyPatch) -> None:
    api = FakeApi(data({"setFee": {"fee": FEE}}), data({"asset": ASSET}))

    result = run(
        api,
        monkeypatch,
        "assets",
        "set-fee",
        "a1",
        "--type",
        "Receiving",
        "--fixed",
        "150",
        "--basis-points",
        "25",
    )

    assert result.exit_code == 0, result.output
    sent = api.bodies[0]["variables"]["input"]
    assert UUID(sent.pop("idempotencyKey")).version == 4
    assert sent == {
        "assetId": "a1",
        "type": "RECEIVING",
        "fee": {"fixed": "150", "basisPoints": 25},
    }
    assert "fee:     150 (1.50 USD) + 25 basis points" in result.stdout
    assert "type:    receiving" in result.stdout


@pytest.mark.parametrize(
    "options",
    [
        ["--type", "sending", "--fixed", "1", "--basis-points", "10001"],
        ["--type", "sending", "--fixed", "-1", "--basis-points", "1"],
        ["--type", "both", "--fixed", "1", "--basis-points", "1"],
        ["--type", "sending", "--basis-points", "1"],
    ],
)
def test_set_fee_refuses_bad_options_before_sending(
    monkeypatch: pytest.MonkeyPatch, options: list[str]
) -> None:
    api = FakeApi()

    result = run(api, monkeypatch, "assets", "set-fee", "a1", *options)

    assert result.exit_code == 2
    assert api.requests == []


def test_show_prints_the_fees_in_force(monkeypatch: pytest.MonkeyPatch) -> None:
    asset = {**ASSET, "receivingFee": FEE}
    api = FakeApi(data({"asset": asset}))

    result = run(api, monkeypatch, "assets", "show", "a1")

    assert result.exit_code == 0, result.output
    assert "sending fee:          -" in result.stdout
    assert "receiving fee:        150 (1.50 USD) + 25 basis points" in result.stdout
