"""Fixtures: a fresh `World` per test, whose ledger must satisfy every invariant afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ilpnode.ledger import check_invariants

from .fakes import World, make_world


@pytest.fixture
async def world() -> AsyncIterator[World]:
    world = await make_world()
    yield world
    assert check_invariants(world.ledger.engine) == []
