"""The GraphQL ASGI app: schema from the `*.graphql` files here (`schema.graphql`, and one file
per later part such as `fees.graphql`, each extending its types), resolvers bound, Rafiki-style
errors."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Final

from ariadne import EnumType, load_schema_from_path, make_executable_schema
from ariadne.asgi import GraphQL
from ariadne.asgi.handlers import GraphQLHTTPHandler
from graphql import GraphQLSchema
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ilpnode.admin.graphql.context import AdminServices, RequestContext
from ilpnode.admin.graphql.errors import format_admin_error
from ilpnode.admin.graphql.fees import FEE_BINDABLES
from ilpnode.admin.graphql.introspection_limits import IntrospectionLimitRule
from ilpnode.admin.graphql.limits import CostLimitRule, MaxDepthRule, parse_bounded
from ilpnode.admin.graphql.mutations import mutation
from ilpnode.admin.graphql.objects import OBJECT_TYPES
from ilpnode.admin.graphql.outgoing_payments import OUTGOING_PAYMENT_BINDABLES
from ilpnode.admin.graphql.queries import query
from ilpnode.admin.graphql.scalars import uint8, uint64
from ilpnode.admin.graphql.tenants import TENANT_BINDABLES
from ilpnode.admin.graphql.wallet_addresses import WALLET_ADDRESS_TYPES
from ilpnode.admin.graphql.webhooks import json_object, webhook_event_type
from ilpnode.services.payments import WalletAddressStatus
from ilpnode.services.peering import SortOrder

__all__ = ["SCHEMA_FILES", "SCHEMA_PATH", "build_schema", "create_graphql_app"]

SCHEMA_PATH: Final = Path(__file__).with_name("schema.graphql")
SCHEMA_FILES: Final = tuple(sorted(SCHEMA_PATH.parent.glob("*.graphql")))


class _Silent(logging.LoggerAdapter[logging.Logger]):
    """Ariadne logs every error, the caller's mistakes included; `format_admin_error` logs the
    ones that are ours (unexpected exceptions), once, so Ariadne's own logging is off."""

    def log(self, *_args: Any, **_kwargs: Any) -> None:
        return None


def build_schema() -> GraphQLSchema:
    """The executable schema (no I/O but reading the SDL files)."""
    return make_executable_schema(
        [load_schema_from_path(str(path)) for path in SCHEMA_FILES],
        query,
        mutation,
        *OBJECT_TYPES,
        *FEE_BINDABLES,
        *TENANT_BINDABLES,
        *WALLET_ADDRESS_TYPES,
        *OUTGOING_PAYMENT_BINDABLES,
        uint64,
        uint8,
        json_object,
        webhook_event_type,
        EnumType("SortOrder", SortOrder),
        EnumType("WalletAddressStatus", WalletAddressStatus),
        convert_names_case=True,
    )


class _ApolloStatus(GraphQLHTTPHandler):
    """HTTP statuses as Apollo Server (Rafiki's) gives them: 400 only for a request that could
    not be executed (parse, validation, invalid variables); an error raised while executing,
    even one that nulls the whole `data`, is 200. Clients such as Apollo Client treat
    a 400 as a network failure and would hide the GraphQL error message."""

    async def create_json_response(
        self, request: Request, result: dict[str, Any], success: bool
    ) -> Response:
        # A request-level error (parse, validation, variable coercion) has no `path`.
        errors = result.get("errors") or []
        unexecuted = result.get("data") is None and all("path" not in e for e in errors)
        status = 400 if not success and unexecuted else 200
        return JSONResponse(result, status_code=status)


def create_graphql_app(services: AdminServices, *, schema: GraphQLSchema | None = None) -> GraphQL:
    """The app serving POST /graphql (and GET for the explorer page)."""

    def context(_request: Request, _data: Any) -> RequestContext:
        return RequestContext(services=services)

    return GraphQL(
        schema or build_schema(),
        context_value=context,
        error_formatter=format_admin_error,
        debug=False,
        http_handler=_ApolloStatus(),
        validation_rules=[MaxDepthRule, CostLimitRule, IntrospectionLimitRule],
        query_parser=parse_bounded,
        logger=_Silent(logging.getLogger("ilpnode.admin"), {}),
    )
