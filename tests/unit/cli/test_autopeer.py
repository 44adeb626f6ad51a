"""`ilpnode peers autopeer` against a fake Admin API: the mutation it sends, what it prints, and
that a peer URL's secret never shows."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner, Result

from ilpnode.cli import main

from .fake_api import FakeApi, data, error

ENV = {"ILPNODE_ADMIN_URL": "http://node:3001", "ADMIN_API_SECRET": "s" * 20}
PEER = {
    "id": "p1",
    "name": "BOB",
    "staticIlpAddress": "test.bob",
    "routes": ["test.bob"],
    "maxPacketAmount": "1000",
    "liquidityThreshold": None,
    "liquidity": "10000",
    "createdAt": "2026-01-01T00:00:00.000Z",
    "http": {"outgoing": {"endpoint": "http://bob.example:3002", "authToken": "tok"}},
    "asset": {"id": "a1", "code": "USD", "scale": 2},
}


def run(api: FakeApi, monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    with api.installed(monkeypatch):
        return CliRunner(env=ENV).invoke(main, ["peers", "autopeer", *args])


def test_sends_rafikis_input_and_prints_the_peer(monkeypatch: pytest.MonkeyPatch) -> None:
    api = FakeApi(data({"createOrUpdatePeerByUrl": {"peer": PEER}}))

    result = run(
        api,
        monkeypatch,
        "http://ilpnode:the-secret@bob.example:3005/",
        "--asset-id",
        "a1",
        "--name",
        "Bob",
        "--max-packet-amount",
        "1000",
        "--liquidity-threshold",
        "5",
        "--liquidity",
        "10000",
    )

    assert result.exit_code == 0, result.output
    [body] = api.bodies
    assert "createOrUpdatePeerByUrl(input: $input)" in body["query"]
    assert body["variables"] == {
        "input": {
            "peerUrl": "http://ilpnode:the-secret@bob.example:3005/",
            "assetId": "a1",
            "name": "Bob",
            "maxPacketAmount": "1000",
            "liquidityThreshold": "5",
            "liquidityToDeposit": "10000",
        }
    }
    assert result.stdout.startswith(
        "Peered with BOB (test.bob) through http://***@bob.example:3005/.\n"
    )
    assert "liquidity:           10000 (100.00 USD)" in result.stdout
    assert "the-secret" not in result.output


def test_only_given_options_are_sent_and_json_prints_the_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api = FakeApi(data({"createOrUpdatePeerByUrl": {"peer": PEER}}))

    result = run(api, monkeypatch, "https://bob.example/", "--asset-id", "a1", "--json")

    assert result.exit_code == 0, result.output
    assert api.bodies[0]["variables"] == {
        "input": {"peerUrl": "https://bob.example/", "assetId": "a1"}
    }
    assert json.loads(result.stdout) == {"createOrUpdatePeerByUrl": {"peer": PEER}}


def test_the_nodes_refusal_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    api = FakeApi(
        error(
            "Peer does not support asset: the peer has no asset USD with scale 2", "BAD_USER_INPUT"
        )
    )

    result = run(api, monkeypatch, "http://bob.example:3005/", "--asset-id", "a1")

    assert result.exit_code == 1
    assert result.stderr == (
        "ilpnode: Peer does not support asset: the peer has no asset USD with scale 2 "
        "(BAD_USER_INPUT)\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bob.example:3005", "--asset-id", "a1"], "is not an http(s) URL"),
        (["ftp://bob.example/", "--asset-id", "a1"], "is not an http(s) URL"),
        (["http://bob.example:99999/", "--asset-id", "a1"], "is not an http(s) URL"),
        (["http://u:hidden@/", "--asset-id", "a1"], "'http://***@/' is not an http(s) URL"),
        (["http://bob.example/"], "Missing option '--asset-id'"),
        (["http://bob.example/", "--asset-id", "a1", "--liquidity", "1.5"], "not a whole number"),
    ],
)
def test_bad_usage_sends_nothing(
    monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    api = FakeApi()

    result = run(api, monkeypatch, *args)

    assert result.exit_code == 2
    assert message in result.stderr
    assert "hidden" not in result.stderr
    assert api.requests == []
