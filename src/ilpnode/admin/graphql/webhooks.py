"""`webhookEvents` and the `WebhookEvent` type, as Rafiki has them (its arguments, filter and
Relay pagination, newest first by default), and the `JSONObject` scalar of an event's `data`."""

from __future__ import annotations

from typing import Any

from ariadne import ObjectType, QueryType, ScalarType

from ilpnode.admin.graphql.context import Info, context_of, is_other_tenant
from ilpnode.admin.graphql.errors import AdminApiError
from ilpnode.admin.graphql.objects import connection, iso_time, page_request_of
from ilpnode.services.peering import Page
from ilpnode.services.tenant import OperatorTenant
from ilpnode.services.webhooks import WebhookEvent

__all__ = ["bind_webhook_events", "json_object", "webhook_event_type"]

webhook_event_type = ObjectType("WebhookEvent")
_EMPTY: Page[WebhookEvent] = Page(items=(), has_next_page=False, has_previous_page=False)


def _serialize_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError("JSONObject must be an object")
    return value


def _parse_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError("JSONObject must be an object")
    return value


json_object = ScalarType("JSONObject", serializer=_serialize_object, value_parser=_parse_object)


async def _webhook_events(_root: None, info: Info, **arguments: Any) -> dict[str, Any]:
    request = page_request_of(arguments)
    services = context_of(info).services
    if is_other_tenant(services, arguments.get("tenant_id")):
        return connection(_EMPTY)
    types = (arguments.get("filter") or {}).get("type") or {}
    types_in, types_not_in = types.get("in") or [], types.get("not_in") or []
    if not all(isinstance(name, str) for name in [*types_in, *types_not_in]):
        raise AdminApiError("filter types must be strings", "BAD_USER_INPUT")
    page = await services.webhook_events.events_page(
        request, types_in=types_in, types_not_in=types_not_in
    )
    return connection(page)


@webhook_event_type.field("createdAt")
def _created_at(event: WebhookEvent, _info: Info) -> str:
    return iso_time(event.created_at)


@webhook_event_type.field("tenant")
async def _tenant(_event: WebhookEvent, info: Info) -> OperatorTenant:
    return await context_of(info).services.tenant.operator()


def bind_webhook_events(query: QueryType) -> None:
    """Set the `webhookEvents` field of `query`."""
    query.set_field("webhookEvents", _webhook_events)
