"""Helpers shared by the test suites."""

from __future__ import annotations

import asyncio
import os
import random
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from ilpnode.config import Settings

if TYPE_CHECKING:
    from ilpnode.storage.ledger.embedded import EmbeddedLedger

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def skip_without_redis() -> None:
    """Skip the test when no Redis answers at TEST_REDIS_URL, except under CI (`CI` set), where
    a missing Redis is a failure."""
    from redis import Redis
    from redis.exceptions import RedisError

    client = Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except (OSError, RedisError) as error:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {TEST_REDIS_URL}: {error}")
    finally:
        client.close()


def make_settings(**values: Any) -> Settings:
    """Settings from keyword arguments only: no `.env` file, explicit values win over the env."""
    return Settings(_env_file=None, **values)


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now.

    Taken below the kernel's ephemeral range when it can be: a port the kernel hands out
    (`bind` to port 0) can be handed out again as the source port of any outgoing connection
    before the test's server binds it (seen: a JS receiver started a minute after its port was
    chosen failed with EADDRINUSE).
    """
    low = _ephemeral_low()
    for _ in range(50):
        port = random.randrange(10_000, low) if low > 10_001 else 0
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            chosen: int = sock.getsockname()[1]
            return chosen
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        fallback: int = sock.getsockname()[1]
        return fallback


def _ephemeral_low() -> int:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii") as ports:
            return int(ports.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def datetime_of_ns(ns: int) -> datetime:
    """Unix ns as a UTC datetime (to the microsecond, as datetime holds)."""
    return _EPOCH + timedelta(microseconds=ns // 1000)


def ns_of(moment: datetime) -> int:
    """A timezone-aware datetime as Unix ns: for test clocks that keep a datetime."""
    return (moment - _EPOCH) // timedelta(microseconds=1) * 1000


class ManualClock:
    """A clock that moves only when told to (satisfies `ilpnode.clock.Clock`)."""

    def __init__(self, start_ns: int = 1_800_000_000 * 10**9) -> None:
        self.value_ns = start_ns

    def now_ns(self) -> int:
        return self.value_ns

    def now(self) -> datetime:
        return datetime_of_ns(self.value_ns)

    def advance(self, seconds: float) -> None:
        self.value_ns += round(seconds * 10**9)


async def run_on_server(sql: str) -> None:
    """One statement outside a transaction (CREATE/DROP DATABASE) on the test PostgreSQL."""
    from sqlalchemy import text

    from ilpnode.storage.database import Database

    server = Database(TEST_DATABASE_URL)
    try:
        async with server.engine.connect() as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text(sql))
    finally:
        await server.close()


def throwaway_database_url() -> tuple[str, str]:
    """(name, url) of a PostgreSQL database that does not exist yet, on the test server."""
    import secrets

    from sqlalchemy.engine import make_url

    name = f"ilpnode_test_{secrets.token_hex(6)}"
    url = make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    return name, url


def migrated_throwaway_database() -> Iterator[str]:
    """A session fixture body: the URL of a new, migrated PostgreSQL database, dropped at the
    end. Without a reachable server the tests are skipped, except under CI (`CI` set)."""
    import asyncio
    import os

    import pytest
    from sqlalchemy.exc import DBAPIError

    from ilpnode.storage.database import Database, redacted_url
    from ilpnode.storage.migrate import migrate

    async def create_and_migrate(url: str, name: str) -> None:
        await run_on_server(f'CREATE DATABASE "{name}"')
        database = Database(url)
        try:
            await migrate(database)
        finally:
            await database.close()

    name, url = throwaway_database_url()
    try:
        asyncio.run(create_and_migrate(url, name))
    except (OSError, DBAPIError) as error:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no PostgreSQL at {redacted_url(TEST_DATABASE_URL)}: {error}")
    try:
        yield url
    finally:
        asyncio.run(run_on_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def wait_until_available(ledger: EmbeddedLedger) -> None:
    """Wait (up to 5 s) for a ledger that failed closed to rebuild itself; fail the test if not."""
    for _ in range(100):
        await asyncio.sleep(0.05)
        if ledger.available:
            return
    pytest.fail("the ledger did not recover")
