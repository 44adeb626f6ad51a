"""ilpnode.admin.graphql: the Rafiki-compatible Admin GraphQL API (rafiki-peering §2).

The schema is written in SDL (`schema.graphql`, extended by `fees.graphql` and `tenants.graphql`)
with Rafiki's names; resolvers are thin: they translate arguments into service requests and
service error values into `AdminApiError`s. Every rule lives in `ilpnode.services`.
"""

from ilpnode.admin.graphql.app import SCHEMA_PATH, build_schema, create_graphql_app
from ilpnode.admin.graphql.context import AdminServices, RequestContext
from ilpnode.admin.graphql.errors import AdminApiError

__all__ = [
    "SCHEMA_PATH",
    "AdminApiError",
    "AdminServices",
    "RequestContext",
    "build_schema",
    "create_graphql_app",
]
