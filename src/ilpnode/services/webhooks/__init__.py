"""ilpnode.services.webhooks: Rafiki's liquidity webhooks, one event per crossing.

`alerts` says when an account is low or high and what the event says; `watch.LiquidityWatch`
turns the ledger's balance changes into events stored durably (an outbox), once per crossing;
`delivery.WebhookDelivery` POSTs them to WEBHOOK_URL, signed (`signature`), with retries;
`ports.WebhookStore` is what they need from storage (`ilpnode.storage.webhook_store`).
"""

from ilpnode.services.webhooks.alerts import (
    AccountKind,
    AlertState,
    AssetRef,
    EventType,
    WatchedAccount,
    event_data,
    event_type_for,
    quiet_band,
    thresholds_are_ordered,
)
from ilpnode.services.webhooks.delivery import DeliveryOptions, WebhookDelivery, retry_delay_ms
from ilpnode.services.webhooks.ports import (
    Claim,
    Observation,
    Settled,
    WebhookEvent,
    WebhookStore,
)
from ilpnode.services.webhooks.runtime import LiquidityWebhooks, WatchingFeedTarget
from ilpnode.services.webhooks.signature import (
    SIGNATURE_HEADER,
    canonical_json,
    signature_header,
    verify_signature,
)
from ilpnode.services.webhooks.watch import LiquidityWatch

__all__ = [
    "SIGNATURE_HEADER",
    "AccountKind",
    "AlertState",
    "AssetRef",
    "Claim",
    "DeliveryOptions",
    "EventType",
    "LiquidityWatch",
    "LiquidityWebhooks",
    "Observation",
    "Settled",
    "WatchedAccount",
    "WatchingFeedTarget",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookStore",
    "canonical_json",
    "event_data",
    "event_type_for",
    "quiet_band",
    "retry_delay_ms",
    "signature_header",
    "thresholds_are_ordered",
    "verify_signature",
]
