"""`idempotent`: the idempotency-key guard around a mutation resolver (rafiki-peering §2.3).

See `ilpnode.services.idempotency` for the states of a key. Here: a mutation whose
`input.idempotencyKey` is set claims the key with its field name and its whole arguments, then

- `Claimed`: runs; a success is stored and answered, a failure (an `AdminApiError` or any
  exception) releases the key and propagates, so a retry runs again;
- `Replay`: answers the stored result without running;
- `Busy`: CONFLICT `Concurrent request for idempotencyKey: <key>`;
- `Mismatch`: BAD_USER_INPUT `Incoming arguments are different than the original request for
  idempotencyKey: <key>`.

Messages are Rafiki's. [quirk fixed] Rafiki answers both without a code (so
INTERNAL_SERVER_ERROR); they are the caller's to fix, so they get CONFLICT and BAD_USER_INPUT.
Without a key the mutation just runs (liquidity mutations require one in the schema). The record
keeps a sha256 digest of the arguments, not the arguments: they may carry incoming tokens.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from ilpnode.admin.graphql.context import Info, RequestContext, context_of
from ilpnode.admin.graphql.errors import AdminApiError
from ilpnode.admin.graphql.results import MutationResult, decode_result, encode_result
from ilpnode.services.idempotency import Busy, Claimed, Mismatch, Replay

__all__ = ["idempotent"]

Mutation = Callable[[RequestContext, dict[str, Any]], Awaitable[MutationResult]]
Resolver = Callable[..., Awaitable[MutationResult]]


def idempotent(mutation: Mutation) -> Resolver:
    """Make `mutation(context, input)` a resolver `(root, info, input)` with the key guard."""

    @wraps(mutation)
    async def resolve(_root: None, info: Info, input: dict[str, Any]) -> MutationResult:
        context = context_of(info)
        key = input.get("idempotency_key")
        if key is None:
            return await mutation(context, input)
        store = context.services.idempotency
        arguments = _digest(input)
        claim = await store.claim(key, info.field_name, arguments, now=context.services.clock.now())
        if isinstance(claim, Replay):
            return decode_result(claim.result)
        if isinstance(claim, Busy):
            raise AdminApiError(f"Concurrent request for idempotencyKey: {key}", "CONFLICT")
        if isinstance(claim, Mismatch):
            raise AdminApiError(
                "Incoming arguments are different than the original request for "
                f"idempotencyKey: {key}",
                "BAD_USER_INPUT",
            )
        assert isinstance(claim, Claimed)
        try:
            result = await mutation(context, input)
        except BaseException:
            await store.release(key)
            raise
        await store.complete(key, encode_result(result))
        return result

    return resolve


def _digest(input: dict[str, Any]) -> str:
    # Only a digest of the arguments is kept: they may hold secrets (a peer's incoming tokens,
    # which the peer tables themselves keep only hashed). Equal digests <=> equal arguments.
    canonical = json.dumps({"input": input}, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
