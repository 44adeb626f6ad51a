"""`TenantService`: the one tenant by its id in any letter case, a Relay page of one, and its
creation time read from the store once."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from ilpnode.services.peering import PageRequest, page_request
from ilpnode.services.tenant import OperatorTenant, TenantError, TenantService
from tests.support import ns_of

TENANT = UUID("438fa74a-fa7d-4317-9ced-dde32ece1787")
CREATED = datetime(2026, 5, 6, tzinfo=UTC)


class CountingStore:
    def __init__(self) -> None:
        self.reads = 0

    async def created_at(self, now: datetime) -> datetime:
        self.reads += 1
        return CREATED


class FixedClock:
    def now(self) -> datetime:
        return datetime(2027, 1, 1, tzinfo=UTC)

    def now_ns(self) -> int:
        return ns_of(self.now())


def service(store: CountingStore) -> TenantService:
    return TenantService(
        store=store,
        clock=FixedClock(),
        tenant_id=TENANT,
        public_name="Alice",
        ilp_address="test.alice",
    )


async def test_the_operator_and_its_creation_time_read_once() -> None:
    store = CountingStore()
    tenants = service(store)
    expected = OperatorTenant(
        id=TENANT, public_name="Alice", created_at=CREATED, ilp_address="test.alice"
    )
    assert await tenants.operator() == expected
    assert await tenants.get(str(TENANT).upper()) == expected
    assert store.reads == 1


async def test_any_other_id_is_unknown() -> None:
    tenants = service(CountingStore())
    for other in ("438fa74afa7d43179ceddde32ece1787", "x", UUID(int=1)):
        assert await tenants.get(other) is TenantError.UnknownTenant


async def test_a_page_of_one() -> None:
    tenants = service(CountingStore())
    first = page_request()
    past = page_request(after=TENANT)
    assert isinstance(first, PageRequest)
    assert isinstance(past, PageRequest)
    page = await tenants.page(first)
    assert [t.id for t in page.items] == [TENANT]
    assert (page.has_next_page, page.has_previous_page) == (False, False)
    assert (await tenants.page(past)).items == ()


def test_every_tenant_error_has_a_code_and_a_message() -> None:
    assert {error: error.code for error in TenantError} == {
        TenantError.UnknownTenant: "NOT_FOUND",
        TenantError.SingleTenant: "FORBIDDEN",
    }
    assert all(error.message for error in TenantError)
