"""Tenant resolvers: `whoami`, `tenant`, `tenants`, the `Tenant` type, and the tenant mutations,
which are refused (`ilpnode.services.tenant` says what the one tenant's fields hold).

Rafiki's tenant resolvers (`graphql/resolvers/tenant.ts`) return the tenant's `apiSecret` and
`idpSecret` in clear; here both are always null.
"""

from __future__ import annotations

from typing import Any, NoReturn

from ariadne import MutationType, ObjectType, QueryType

from ilpnode.admin.graphql.context import Info, context_of
from ilpnode.admin.graphql.errors import raise_error
from ilpnode.admin.graphql.objects import connection, iso_time, page_request_of
from ilpnode.services.tenant import OperatorTenant, TenantError

__all__ = ["TENANT_BINDABLES"]

tenant_query = QueryType()
tenant_mutation = MutationType()
tenant_object = ObjectType("Tenant")


@tenant_query.field("whoami")
async def _whoami(_root: None, info: Info) -> dict[str, Any]:
    tenant = await context_of(info).services.tenant.operator()
    return {"id": str(tenant.id), "is_operator": True}


@tenant_query.field("tenant")
async def _tenant(_root: None, info: Info, id: str) -> OperatorTenant:
    tenant = await context_of(info).services.tenant.get(id)
    if isinstance(tenant, TenantError):
        raise_error(tenant)
    return tenant


@tenant_query.field("tenants")
async def _tenants(_root: None, info: Info, **arguments: Any) -> dict[str, Any]:
    request = page_request_of(arguments)
    return connection(await context_of(info).services.tenant.page(request))


def _refused(*_args: Any, **_kwargs: Any) -> NoReturn:
    raise_error(TenantError.SingleTenant)


for _name in ("createTenant", "updateTenant", "deleteTenant", "createTenantSettings"):
    tenant_mutation.set_field(_name, _refused)


@tenant_object.field("createdAt")
def _created_at(tenant: OperatorTenant, _info: Info) -> str:
    return iso_time(tenant.created_at)


@tenant_object.field("settings")
def _settings(tenant: OperatorTenant, _info: Info) -> list[dict[str, str]]:
    return [{"key": "ILP_ADDRESS", "value": tenant.ilp_address}]


def _none(_tenant: OperatorTenant, _info: Info) -> None:
    return None


for _name in ("email", "apiSecret", "idpConsentUrl", "idpSecret", "deletedAt"):
    tenant_object.set_field(_name, _none)


TENANT_BINDABLES: list[QueryType | ObjectType] = [tenant_query, tenant_mutation, tenant_object]
