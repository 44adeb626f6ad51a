"""One real `ilpnode run` process per test module (SQLite in a temporary directory, an
ADMIN_API_SECRET, loopback ports), and `cli`: the `ilpnode` command run in-process with click's
CliRunner against that node's Admin API."""

from __future__ import annotations

import json
import secrets
import signal
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ilpnode.cli import main
from tests.e2e.test_run_node import RunningNode, node_environment, start

SECRET = "cli-test-secret-0123456789"


@pytest.fixture(scope="module")
def node_secret() -> str | None:
    """The node's ADMIN_API_SECRET (a module overrides this fixture for an unsigned node)."""
    return SECRET


@pytest.fixture(scope="module")
def node(
    tmp_path_factory: pytest.TempPathFactory, node_secret: str | None
) -> Iterator[RunningNode]:
    """A node on loopback; its log must stay free of tracebacks."""
    directory = tmp_path_factory.mktemp("cli-node")
    env = node_environment(directory, ADMIN_HOST="127.0.0.1")
    env.pop("ADMIN_API_SECRET", None)
    if node_secret is not None:
        env["ADMIN_API_SECRET"] = node_secret
    running = start(directory, env)
    try:
        yield running
    finally:
        running.process.send_signal(signal.SIGTERM)
        try:
            running.process.wait(timeout=15)
        except subprocess.TimeoutExpired:  # pragma: no cover - only when the node hangs
            running.process.kill()
            running.process.wait()
    assert "Traceback" not in running.output()


class Cli:
    """Runs `ilpnode …` against `node` with ILPNODE_ADMIN_URL and ADMIN_API_SECRET (or none)."""

    def __init__(self, node: RunningNode, secret: str | None) -> None:
        self.node = node
        self.env: dict[str, str | None] = {
            "ILPNODE_ADMIN_URL": node.admin_url,
            "ADMIN_API_SECRET": secret,
        }

    def __call__(
        self, *args: str, input: str | None = None, env: dict[str, str | None] | None = None
    ) -> Result:
        runner = CliRunner(env={**self.env, **(env or {})})
        result = runner.invoke(main, list(args), input=input, catch_exceptions=False)
        assert "Traceback" not in result.output
        return result

    def ok(self, *args: str, input: str | None = None) -> Result:
        """Run and assert exit status 0."""
        result = self(*args, input=input)
        assert result.exit_code == 0, result.output
        return result

    def json(self, *args: str) -> Any:
        """Run with --json and return the parsed stdout."""
        return json.loads(self.ok(*args, "--json").stdout)


@pytest.fixture
def cli(node: RunningNode, node_secret: str | None) -> Cli:
    """`ilpnode …` with the node's URL and secret in the environment."""
    return Cli(node, node_secret)


def new_code() -> str:
    """An asset code no other test uses (codes are unique per scale)."""
    return f"T{secrets.token_hex(4).upper()}"
