"""`ilpnode assets|peers|liquidity …` against a real node's signed Admin API: each command's
effect on the node, its output (table and --json), and each kind of failure."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import pytest

from ilpnode.cli_admin import client as client_module
from ilpnode.cli_admin.client import AdminClient
from ilpnode.cli_admin.documents import CREATE_ASSET
from tests.e2e.test_run_node import RunningNode
from tests.support import free_port

from .conftest import SECRET, Cli, new_code

pytestmark = pytest.mark.e2e


def create_asset(cli: Cli, *extra: str) -> dict[str, Any]:
    data = cli.json("assets", "create", "--code", new_code(), "--scale", "2", *extra)
    asset: dict[str, Any] = data["createAsset"]["asset"]
    return asset


def peer_liquidity(cli: Cli, peer_id: str) -> str:
    value: str = cli.json("peers", "show", peer_id)["peer"]["liquidity"]
    return value


def test_asset_create_list_show_update_delete(cli: Cli) -> None:
    code = new_code()
    created = cli.ok(
        "assets", "create", "--code", code, "--scale", "3", "--withdrawal-threshold", "5"
    )
    assert f"code:                 {code}" in created.stdout
    assert "withdrawal threshold: 5 (0.005 " in created.stdout
    asset_id = created.stdout.split()[1]

    listed = cli.ok("assets", "list").stdout.splitlines()
    assert listed[0].split() == ["ID", "CODE", "SCALE", "LIQUIDITY"]
    assert [asset_id, code, "3", "0"] in [line.split() for line in listed[1:]]
    edges = cli.json("assets", "list")["assets"]["edges"]
    assert asset_id in {edge["node"]["id"] for edge in edges}

    shown = cli.json("assets", "show", asset_id)["asset"]
    assert (shown["code"], shown["scale"], shown["withdrawalThreshold"]) == (code, 3, "5")
    assert "liquidity threshold:  -" in cli.ok("assets", "show", asset_id).stdout

    cli.ok(
        "assets",
        "update",
        asset_id,
        "--liquidity-threshold",
        "700",
        "--clear",
        "withdrawal-threshold",
    )
    updated = cli.json("assets", "show", asset_id)["asset"]
    assert (updated["withdrawalThreshold"], updated["liquidityThreshold"]) == (None, "700")

    deleted = cli.ok("assets", "delete", asset_id, "--yes")
    assert deleted.stdout == f"Deleted asset {asset_id} ({code}/3).\n"
    gone = cli("assets", "show", asset_id)
    assert gone.exit_code == 1
    assert gone.stderr == "ilpnode: Asset not found (NOT_FOUND)\n"


def test_a_duplicate_asset_shows_the_nodes_message_and_code(cli: Cli) -> None:
    code = new_code()
    cli.ok("assets", "create", "--code", code, "--scale", "2")

    again = cli("assets", "create", "--code", code, "--scale", "2")

    assert again.exit_code == 1
    assert again.stderr == "ilpnode: Asset already exists (DUPLICATE)\n"
    assert again.stdout == ""


def test_peer_walk_through(cli: Cli) -> None:
    asset = create_asset(cli)
    created = cli.json(
        "peers", "create",
        "--asset-id", asset["id"],
        "--name", "Other Wallet",
        "--address", "g.otherwallet",
        "--endpoint", "http://127.0.0.1:9/ilp",
        "--outgoing-token", "their-token",
        "--incoming-token", "our-token",
        "--incoming-token", "our-next-token",
        "--max-packet-amount", "1000",
        "--initial-liquidity", "10000",
        "--route", "g.partner",
    )  # fmt: skip
    peer = created["createPeer"]["peer"]
    peer_id = peer["id"]
    assert peer["liquidity"] == "10000"
    assert peer["routes"] == ["g.otherwallet", "g.partner"]

    rows = [line.split("  ") for line in cli.ok("peers", "list").stdout.splitlines()]
    cells = [[cell.strip() for cell in row if cell.strip()] for row in rows]
    assert cells[0] == ["ID", "NAME", "ADDRESS", "ASSET", "LIQUIDITY"]
    assert [peer_id, "Other Wallet", "g.otherwallet", f"{asset['code']}/2", "10000"] in cells
    shown = cli.ok("peers", "show", peer_id).stdout
    assert "liquidity:           10000 (100.00 " in shown
    assert "their-token" not in shown
    assert cli.json("peers", "show", peer_id)["peer"]["http"]["outgoing"]["authToken"] == (
        "their-token"
    )

    deposited = cli.ok("liquidity", "deposit", "--peer", peer_id, "500")
    assert "liquidity now 10500 (105.00 " in deposited.stdout
    assert peer_liquidity(cli, peer_id) == "10500"

    withdrawal = cli.ok("liquidity", "withdraw", "--peer", peer_id, "2000")
    posted_id = withdrawal.stdout.strip()
    assert UUID(posted_id).version == 4
    assert peer_liquidity(cli, peer_id) == "8500"  # reserved while pending
    assert cli.ok("liquidity", "post", posted_id).stdout == f"Withdrawal {posted_id} posted.\n"
    assert peer_liquidity(cli, peer_id) == "8500"
    again = cli("liquidity", "post", posted_id)
    assert (again.exit_code, again.stderr) == (1, "ilpnode: Transfer already posted (CONFLICT)\n")

    voided_id = cli.ok("liquidity", "withdraw", "--peer", peer_id, "300").stdout.strip()
    assert peer_liquidity(cli, peer_id) == "8200"
    cli.ok("liquidity", "void", voided_id)
    assert peer_liquidity(cli, peer_id) == "8500"  # back, as if never withdrawn

    cli.ok("peers", "update", peer_id, "--name", "Renamed", "--endpoint", "http://127.0.0.1:9/new")
    after = cli.json("peers", "show", peer_id)["peer"]
    assert after["name"] == "Renamed"
    assert after["http"]["outgoing"] == {
        "endpoint": "http://127.0.0.1:9/new",
        "authToken": "their-token",
    }
    assert after["maxPacketAmount"] == "1000"
    cli.ok("peers", "update", peer_id, "--clear", "max-packet-amount", "--clear", "routes")
    cleared = cli.json("peers", "show", peer_id)["peer"]
    assert (cleared["maxPacketAmount"], cleared["routes"]) == (None, ["g.otherwallet"])

    refused = cli("peers", "delete", peer_id, input="n\n")
    assert refused.exit_code == 1
    assert "liquidity 8500 (85.00 " in refused.stdout
    assert peer_liquidity(cli, peer_id) == "8500"  # still there
    with_money = cli("peers", "delete", peer_id, "--yes")
    assert (with_money.exit_code, with_money.stderr) == (
        1,
        "ilpnode: Cannot delete! Peer has liquidity: withdraw it first. (FORBIDDEN)\n",
    )
    emptied = cli.ok("liquidity", "withdraw", "--peer", peer_id, "8500", "--timeout-seconds", "0")
    assert emptied.exit_code == 0
    assert peer_liquidity(cli, peer_id) == "0"
    assert cli.ok("peers", "delete", peer_id, input="y\n").stdout.endswith(
        f"Deleted peer {peer_id}.\n"
    )
    gone = cli("peers", "show", peer_id)
    assert (gone.exit_code, gone.stderr) == (1, "ilpnode: unknown peer (NOT_FOUND)\n")


def test_asset_liquidity_deposit_and_immediate_withdrawal(cli: Cli) -> None:
    asset = create_asset(cli)

    cli.ok("liquidity", "deposit", "--asset", asset["id"], "300")
    done = cli.ok("liquidity", "withdraw", "--asset", asset["id"], "100", "--timeout-seconds", "0")
    too_much = cli("liquidity", "withdraw", "--asset", asset["id"], "201", "--timeout-seconds", "0")

    assert "at once; liquidity now 200 (2.00 " in done.stderr
    assert cli.json("assets", "show", asset["id"])["asset"]["liquidity"] == "200"
    assert post_of(cli, done.stdout.strip()) == "ilpnode: Transfer already posted (CONFLICT)\n"
    assert too_much.exit_code == 1
    assert too_much.stderr == "ilpnode: Insufficient transfer balance (FORBIDDEN)\n"


def post_of(cli: Cli, withdrawal_id: str) -> str:
    result = cli("liquidity", "post", withdrawal_id)
    assert result.exit_code == 1
    return result.stderr


def test_list_reads_every_page(cli: Cli, node: RunningNode) -> None:
    codes = {new_code() for _ in range(101)}  # more than one page of 100
    with AdminClient(node.admin_url, secret=SECRET) as client:
        for code in codes:
            client.execute(CREATE_ASSET, {"input": {"code": code, "scale": 4}})

    listed = cli.json("assets", "list")["assets"]
    one_page = cli.json("assets", "list", "--first", "3")["assets"]

    assert codes <= {edge["node"]["code"] for edge in listed["edges"]}
    assert listed["pageInfo"]["hasNextPage"] is False
    assert len(one_page["edges"]) == 3
    assert one_page["pageInfo"]["hasNextPage"] is True


def test_invalid_peer_input_shows_the_nodes_error(cli: Cli) -> None:
    asset = create_asset(cli)

    result = cli(
        "peers", "create", "--asset-id", asset["id"], "--address", "not-an-address",
        "--endpoint", "http://127.0.0.1:9", "--outgoing-token", "t", "--incoming-token", "u",
    )  # fmt: skip

    assert result.exit_code == 1
    assert result.stderr == "ilpnode: invalid ILP address (BAD_USER_INPUT)\n"


@pytest.mark.parametrize("secret", ["a-wrong-secret-0123456789", None])
def test_a_wrong_or_missing_secret_is_refused(cli: Cli, secret: str | None) -> None:
    result = cli("assets", "list", env={"ADMIN_API_SECRET": secret})

    assert result.exit_code == 1
    assert result.stderr == (
        "ilpnode: the Admin API refused the signature (is ADMIN_API_SECRET right?)\n"
    )


def test_an_unreachable_node_is_one_line(cli: Cli) -> None:
    url = f"http://127.0.0.1:{free_port()}"

    result = cli("peers", "list", "--admin-url", url)

    assert result.exit_code == 1
    assert result.stderr.startswith(f"ilpnode: cannot reach the Admin API at {url}/graphql: ")
    assert len(result.stderr.splitlines()) == 1


def test_an_invalid_amount_is_refused_before_anything_is_sent(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    asset = create_asset(cli)
    sent: list[str] = []
    real_execute = AdminClient.execute

    def counting(self: AdminClient, document: str, variables: Any) -> dict[str, Any]:
        sent.append(document)
        return real_execute(self, document, variables)

    monkeypatch.setattr(client_module.AdminClient, "execute", counting)

    for amount in ("1.5", "-5", str(2**64), "12abc"):
        result = cli("liquidity", "deposit", "--asset", asset["id"], "--", amount)
        assert result.exit_code == 2, amount
        assert "Invalid value for 'AMOUNT'" in result.stderr
    assert sent == []
    assert cli.json("assets", "show", asset["id"])["asset"]["liquidity"] == "0"
    assert len(sent) == 1  # the counter does count requests


def test_the_connector_port_is_not_mistaken_for_a_refused_signature(
    cli: Cli, node: RunningNode
) -> None:
    result = cli("assets", "list", "--admin-url", node.connector_url)

    assert result.exit_code == 1
    assert result.stderr == (
        f"ilpnode: {node.connector_url}/graphql answered HTTP 401, not GraphQL "
        "(is --admin-url the node's admin server?)\n"
    )


def test_set_fee_and_show_the_fees_in_force(cli: Cli) -> None:
    asset = create_asset(cli)
    asset_id = asset["id"]
    set_text = cli.ok(
        "assets", "set-fee", asset_id, "--type", "sending", "--fixed", "150", "--basis-points", "25"
    ).stdout
    assert "type:    sending" in set_text
    assert "fee:     150 (1.50 " in set_text
    cli.ok(
        "assets", "set-fee", asset_id, "--type", "sending", "--fixed", "0", "--basis-points", "1"
    )
    received = cli.json(
        "assets", "set-fee", asset_id, "--type", "receiving", "--fixed", "7", "--basis-points", "0"
    )["setFee"]["fee"]
    assert (received["type"], received["fixed"], received["basisPoints"]) == ("RECEIVING", "7", 0)

    shown = cli.ok("assets", "show", asset_id).stdout
    assert "sending fee:          0 (0.00 " in shown
    assert "+ 1 basis points" in shown
    assert "receiving fee:        7 (0.07 " in shown
    as_json = cli.json("assets", "show", asset_id)["asset"]
    assert as_json["receivingFee"]["id"] == received["id"]

    unknown = cli(
        "assets",
        "set-fee",
        str(uuid4()),
        "--type",
        "sending",
        "--fixed",
        "1",
        "--basis-points",
        "1",
    )
    assert unknown.exit_code == 1
    assert unknown.stderr == "ilpnode: Unknown asset (NOT_FOUND)\n"
