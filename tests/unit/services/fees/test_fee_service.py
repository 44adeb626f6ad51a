"""`FeeService` against an in-memory store: Rafiki's checks in Rafiki's order, nothing written on
error, and the fee set last is the one in force even when the wall clock goes back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from ilpnode.services.fees import Fee, FeeError, FeeService, FeeType, LatestFees, SetFee
from ilpnode.services.peering import Page, PageRequest, SortOrder, page_request, paginate
from tests.support import ns_of

T0 = datetime(2027, 1, 1, tzinfo=UTC)


class SetClock:
    """A wall clock that shows whatever the test sets."""

    def __init__(self) -> None:
        self.value = T0

    def now(self) -> datetime:
        return self.value

    def now_ns(self) -> int:
        return ns_of(self.now())


class MemoryFees:
    """`FeeStore`, `FeeTransaction` and `FeeReads` at once: rows in a list."""

    def __init__(self, active: set[UUID]) -> None:
        self.active = active
        self.rows: list[Fee] = []

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[MemoryFees]:
        yield self

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[MemoryFees]:
        yield self

    async def asset_is_active(self, asset_id: UUID) -> bool:
        return asset_id in self.active

    async def newest_fee_time(self, asset_id: UUID) -> datetime | None:
        return max((f.created_at for f in self.rows if f.asset_id == asset_id), default=None)

    async def insert_fee(self, fee: Fee) -> None:
        self.rows.append(fee)

    async def latest_fees(self, asset_id: UUID) -> LatestFees:
        def newest(fee_type: FeeType) -> Fee | None:
            mine = [f for f in self.rows if f.asset_id == asset_id and f.type is fee_type]
            return max(mine, key=lambda f: (f.created_at, f.id), default=None)

        return LatestFees(sending=newest(FeeType.SENDING), receiving=newest(FeeType.RECEIVING))

    async def fee_page(self, asset_id: UUID, request: PageRequest) -> Page[Fee]:
        return paginate([f for f in self.rows if f.asset_id == asset_id], request)


ASSET = uuid4()


@pytest.fixture
def clock() -> SetClock:
    return SetClock()


@pytest.fixture
def store() -> MemoryFees:
    return MemoryFees({ASSET})


@pytest.fixture
def service(store: MemoryFees, clock: SetClock) -> FeeService:
    return FeeService(store=store, clock=clock)


def sending(fixed: object = 10, basis_points: object = 20, asset: object = ASSET) -> SetFee:
    return SetFee(asset_id=asset, type=FeeType.SENDING, fixed=fixed, basis_points=basis_points)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("request_", "error"),
    [
        # the fixed part first, then the basis points, then the asset: Rafiki's order
        (sending(fixed=-1, basis_points=-1, asset=uuid4()), FeeError.InvalidFixedFee),
        (sending(fixed=2**64, basis_points=0), FeeError.InvalidFixedFee),
        (sending(fixed=True), FeeError.InvalidFixedFee),
        (sending(basis_points=-1, asset=uuid4()), FeeError.InvalidBasisPointFee),
        (sending(basis_points=10_001), FeeError.InvalidBasisPointFee),
        (sending(basis_points=1.5), FeeError.InvalidBasisPointFee),
        (sending(basis_points=True), FeeError.InvalidBasisPointFee),
        (sending(asset=uuid4()), FeeError.UnknownAsset),
        (sending(asset=str(ASSET).replace("-", "")), FeeError.UnknownAsset),
        (sending(asset="not-a-uuid"), FeeError.UnknownAsset),
    ],
)
async def test_refusals_write_nothing(
    service: FeeService, store: MemoryFees, request_: SetFee, error: FeeError
) -> None:
    assert await service.set(request_) is error
    assert store.rows == []


async def test_a_fee_is_stored_as_given(service: FeeService, clock: SetClock) -> None:
    fee = await service.set(sending(fixed=2**64 - 1, basis_points=10_000, asset=str(ASSET)))
    assert isinstance(fee, Fee)
    assert (fee.asset_id, fee.type, fee.fixed, fee.basis_points) == (
        ASSET,
        FeeType.SENDING,
        2**64 - 1,
        10_000,
    )
    assert fee.created_at == clock.value
    assert (await service.latest(ASSET)).of(FeeType.SENDING) == fee
    assert (await service.latest(ASSET)).of(FeeType.RECEIVING) is None


async def test_the_fee_set_last_is_in_force_even_if_the_clock_went_back(
    service: FeeService, clock: SetClock
) -> None:
    first = await service.set(sending(fixed=1))
    clock.value = T0 - timedelta(hours=1)  # the wall clock was set back
    second = await service.set(sending(fixed=2))
    third = await service.set(sending(fixed=3))  # and did not move since

    assert isinstance(first, Fee)
    assert isinstance(second, Fee)
    assert isinstance(third, Fee)
    assert first.created_at < second.created_at < third.created_at
    assert (await service.latest(ASSET)).sending == third
    request = page_request(sort_order=SortOrder.DESC)
    assert isinstance(request, PageRequest)
    assert [f.fixed for f in (await service.page(ASSET, request)).items] == [3, 2, 1]


def test_every_fee_error_has_rafikis_code_and_a_message() -> None:
    codes = {error: error.code for error in FeeError}
    assert codes == {
        FeeError.UnknownAsset: "NOT_FOUND",
        FeeError.InvalidBasisPointFee: "BAD_USER_INPUT",
        FeeError.InvalidFixedFee: "BAD_USER_INPUT",
    }
    assert all(error.message for error in FeeError)
