"""The node's one tenant, as Rafiki's Admin API shows tenants (`whoami`, `tenant`, `tenants`).

Rafiki hosts many tenants; an ilpnode is one operator's node, so it has exactly one tenant, the
operator, and every Admin API request acts as it. What the tenant's fields hold:

- `id`: the OPERATOR_TENANT_ID setting (stable across restarts and processes);
- `public_name`: INSTANCE_NAME (None if unset);
- `created_at`: stored once in the database (`TenantStore`): the node's oldest asset or peer when
  the store was first made, else that moment;
- settings: only ILP_ADDRESS (Rafiki's tenant setting of that name). Its other settings are
  either absent here or may hold credentials (a URL's user info or query), and the API secret
  is never disclosed: the operator already has it.

Tenants cannot be created, changed or deleted through the API (`TenantError.SingleTenant`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Protocol
from uuid import UUID

from ilpnode.clock import Clock
from ilpnode.services.peering.pagination import Page, PageRequest, paginate
from ilpnode.uuids import parse_uuid

__all__ = ["OperatorTenant", "TenantError", "TenantService", "TenantStore"]


@dataclass(frozen=True, slots=True, kw_only=True)
class OperatorTenant:
    """The one tenant (see the module docstring)."""

    id: UUID
    public_name: str | None
    created_at: datetime
    ilp_address: str


class TenantError(enum.Enum):
    """Why a tenant operation failed."""

    UnknownTenant = "UnknownTenant"
    """Rafiki's answer for a tenant that does not exist."""
    SingleTenant = "SingleTenant"
    """ilpnode: tenants and their settings are fixed by the node's configuration."""

    @property
    def code(self) -> str:
        """The GraphQL `extensions.code`."""
        return _TENANT_ERRORS[self][0]

    @property
    def message(self) -> str:
        """What the caller reads."""
        return _TENANT_ERRORS[self][1]


_TENANT_ERRORS: Final[dict[TenantError, tuple[str, str]]] = {
    TenantError.UnknownTenant: ("NOT_FOUND", "tenant does not exist"),
    TenantError.SingleTenant: (
        "FORBIDDEN",
        "ilpnode has one tenant per node, the operator: tenants and tenant settings cannot be "
        "created, updated or deleted through the Admin API (the tenant is configured by "
        "OPERATOR_TENANT_ID, INSTANCE_NAME and ILP_ADDRESS)",
    ),
}


class TenantStore(Protocol):
    """Where the tenant's creation time is kept (`ilpnode.storage.tenant_repository`)."""

    async def created_at(self, now: datetime) -> datetime:
        """The stored creation time; if none is stored yet, store `now` and return it."""
        ...


class TenantService:
    """The operator tenant (see the module docstring)."""

    def __init__(
        self,
        *,
        store: TenantStore,
        clock: Clock,
        tenant_id: UUID,
        public_name: str | None,
        ilp_address: str,
    ) -> None:
        self._store = store
        self._clock = clock
        self._id = tenant_id
        self._public_name = public_name
        self._ilp_address = ilp_address
        self._created_at: datetime | None = None  # never changes once stored

    async def operator(self) -> OperatorTenant:
        """The one tenant. Raises only on infrastructure faults (the first call reads the
        database)."""
        if self._created_at is None:
            self._created_at = await self._store.created_at(self._clock.now())
        return OperatorTenant(
            id=self._id,
            public_name=self._public_name,
            created_at=self._created_at,
            ilp_address=self._ilp_address,
        )

    async def get(self, tenant_id: UUID | str) -> OperatorTenant | TenantError:
        """The tenant with this id (a UUID in any letter case), or UnknownTenant."""
        if parse_uuid(tenant_id) != self._id:
            return TenantError.UnknownTenant
        return await self.operator()

    async def page(self, request: PageRequest) -> Page[OperatorTenant]:
        """A Relay page of the tenants: the one tenant, or an empty page past it."""
        return paginate([await self.operator()], request)
