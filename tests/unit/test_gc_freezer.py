"""The garbage-collector freezer moves what is alive out of the collector's way, again and again."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest

from ilpnode.gc_freezer import THRESHOLDS, freeze_periodically, freeze_survivors


@pytest.fixture(autouse=True)
def _unfrozen() -> Iterator[None]:
    thresholds = gc.get_threshold()
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


class _Record:
    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value


def test_freeze_survivors_takes_live_objects_out_of_the_generations() -> None:
    records = [_Record(i) for i in range(1_000)]
    before = gc.get_freeze_count()
    freeze_survivors()
    assert gc.get_freeze_count() >= before + len(records)
    assert sum(gc.get_count()) < len(records)  # the young generations were emptied


async def test_freeze_periodically_freezes_what_was_made_since() -> None:
    task = asyncio.create_task(freeze_periodically(0.01))
    try:
        await asyncio.sleep(0.05)
        frozen = gc.get_freeze_count()
        records = [_Record(i) for i in range(1_000)]
        await asyncio.sleep(0.05)
        assert gc.get_freeze_count() >= frozen + len(records)
        assert gc.get_threshold() == THRESHOLDS
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
