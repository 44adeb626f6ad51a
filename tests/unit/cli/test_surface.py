"""The CLI's fixed points: every GraphQL document is valid against the node's schema, the
local timeout limit is the node's, `ilpnode --help` loads no HTTP code, every command explains
itself."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner
from graphql import parse, validate

from ilpnode.accounting import liquidity as node_liquidity
from ilpnode.admin.graphql import build_schema
from ilpnode.cli import main
from ilpnode.cli_admin import documents
from ilpnode.cli_admin.liquidity import WITHDRAWAL_TIMEOUT_SECONDS_MAX


@pytest.mark.parametrize("name", documents.__all__)
def test_document_is_valid_against_the_schema(name: str) -> None:
    errors = validate(build_schema(), parse(getattr(documents, name)))

    assert errors == []


def test_withdrawal_timeout_limit_is_the_nodes() -> None:
    assert WITHDRAWAL_TIMEOUT_SECONDS_MAX == node_liquidity.WITHDRAWAL_TIMEOUT_SECONDS_MAX


def test_help_does_not_import_http_or_signing_code() -> None:
    code = (
        "import sys\n"
        "sys.argv = ['ilpnode', 'peers', 'create', '--help']\n"
        "from ilpnode.__main__ import main\n"  # the console script's entry point
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in ('httpx', 'ilpnode.admin.signature', 'starlette')"
        " if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    )

    assert result.stdout.splitlines()[-1] == "[]"


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for name, command in group.commands.items():
        path = (*prefix, name)
        found.append(path)
        if isinstance(command, click.Group):
            found.extend(_commands(command, path))
    return found


@pytest.mark.parametrize("path", [p for p in _commands(main) if p[0] != "run"], ids=" ".join)
def test_every_admin_command_has_help_and_the_connection_options(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*path, "--help"])

    assert result.exit_code == 0
    assert len(result.stdout.split("\n\n")[1].strip()) > 20  # a real description
    if path[0] in {"assets", "peers", "liquidity", "wallet-addresses"} and len(path) == 2:
        assert "--admin-url URL" in result.stdout
        assert "ILPNODE_ADMIN_URL" in result.stdout
        assert "ADMIN_API_SECRET" in result.stdout
        assert "--json" in result.stdout


def test_the_admin_groups_are_registered() -> None:
    assert {"assets", "peers", "liquidity", "wallet-addresses", "run"} <= set(main.commands)
    wallet_addresses = main.commands["wallet-addresses"]
    assert isinstance(wallet_addresses, click.Group)
    assert set(wallet_addresses.commands) == {"list", "show", "create", "update", "withdraw"}
    peers = main.commands["peers"]
    assert isinstance(peers, click.Group)
    assert set(peers.commands) == {
        "list",
        "show",
        "create",
        "update",
        "delete",
        "check",
        "autopeer",
    }
