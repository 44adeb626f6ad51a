"""A small synchronous GraphQL client for a node's Admin API, signing requests as Rafiki does.

Each `execute` POSTs one `{"query", "variables"}` document to `<admin url>/graphql`. With a
secret, the body is sent in its RFC 8785 form with a `signature` header computed over it at the
current time (`ilpnode.admin.signature.signed_body`); each signature is accepted once, so every
request is signed afresh. Without a secret the request goes unsigned, which a node accepts only
while its own ADMIN_API_SECRET is unset.

Failures are raised as `AdminApiFailure` subclasses whose `message` is a sentence for the user:
`Unreachable` (nothing answered, or not in time), `SignatureRefused` (HTTP 401),
`GraphQLErrors` (the answer lists errors) and `UnexpectedAnswer` (anything else that is not a
GraphQL answer). Nothing is retried: a mutation that timed out may have been applied.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import httpx

from ilpnode.admin.signature import REASONS, SignatureFailure, signed_body

__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
    "AdminApiFailure",
    "AdminClient",
    "GraphQLError",
    "GraphQLErrors",
    "SignatureRefused",
    "UnexpectedAnswer",
    "Unreachable",
    "graphql_url",
]

# Every Admin API call is a few database reads or one ledger transfer; 10 s means the node is
# stuck or the address points at something that does not answer.
DEFAULT_TIMEOUT_SECONDS: Final = 10.0

_CLOCK_REASONS: Final = frozenset(
    {REASONS[SignatureFailure.EXPIRED], REASONS[SignatureFailure.FROM_THE_FUTURE]}
)


class AdminApiFailure(Exception):
    """A request did not give a GraphQL answer without errors; `message` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unreachable(AdminApiFailure):
    """No HTTP answer: connection refused, DNS failure, timeout, connection reset."""


class SignatureRefused(AdminApiFailure):
    """HTTP 401: the signature is missing, wrong, or (clock skew) outside its time to live."""


@dataclass(frozen=True, slots=True)
class GraphQLError:
    """One entry of a GraphQL answer's `errors`."""

    message: str
    code: str | None


class GraphQLErrors(AdminApiFailure):
    """The answer carries GraphQL errors (a refused mutation, an unknown id, bad input)."""

    def __init__(self, errors: tuple[GraphQLError, ...]) -> None:
        super().__init__("; ".join(_describe(error) for error in errors))
        self.errors = errors


class UnexpectedAnswer(AdminApiFailure):
    """An HTTP answer that is not GraphQL (a 404 from a wrong URL, a 503 while starting)."""


def _describe(error: GraphQLError) -> str:
    return error.message if error.code is None else f"{error.message} ({error.code})"


def graphql_url(admin_url: str) -> str:
    """The GraphQL endpoint for an admin URL: `http://host:3001` -> `http://host:3001/graphql`
    (a URL already ending in `/graphql` is kept)."""
    base = admin_url.rstrip("/")
    return base if base.endswith("/graphql") else f"{base}/graphql"


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class AdminClient:
    """A connection to one node's Admin API; use it as a context manager (it closes the pool).

    Args:
        admin_url: the admin server, e.g. `http://127.0.0.1:3001` (see `graphql_url`).
        secret: the node's ADMIN_API_SECRET, or None to send unsigned requests.
        timeout_seconds: how long to wait to connect and for each answer.
        transport: an httpx transport to use instead of the network (tests).
        clock: the current Unix time in ms, for signatures.
    """

    def __init__(
        self,
        admin_url: str,
        *,
        secret: str | None,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], int] = _now_ms,
    ) -> None:
        self.url = graphql_url(admin_url)
        self._secret = secret
        self._clock = clock
        self._http = httpx.Client(timeout=timeout_seconds, transport=transport)

    def __enter__(self) -> AdminClient:
        return self

    def __exit__(self, *_exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def execute(self, document: str, variables: Mapping[str, object]) -> dict[str, Any]:
        """Run `document` with `variables` and return the answer's `data`.

        Raises:
            Unreachable, SignatureRefused, GraphQLErrors, UnexpectedAnswer: see the module
                docstring. A `GraphQLErrors` means nothing (else) was changed by a mutation.
        """
        payload = {"query": document, "variables": dict(variables)}
        headers = {"content-type": "application/json", "accept": "application/json"}
        if self._secret is None:
            body = json.dumps(payload, separators=(",", ":")).encode()
        else:
            signed = signed_body(payload, secret=self._secret, now_ms=self._clock())
            body, headers["signature"] = signed.body, signed.header
        try:
            response = self._http.post(self.url, content=body, headers=headers)
        except httpx.TimeoutException:
            raise Unreachable(
                f"cannot reach the Admin API at {self.url}: no answer in time"
            ) from None
        except httpx.TransportError as error:
            reason = str(error) or type(error).__name__
            raise Unreachable(f"cannot reach the Admin API at {self.url}: {reason}") from None
        return self._data(response)

    def _data(self, response: httpx.Response) -> dict[str, Any]:
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.status_code == 401 and _is_signature_refusal(answer):
            raise SignatureRefused(_refusal(answer))
        if not isinstance(answer, dict) or not ("data" in answer or "errors" in answer):
            raise UnexpectedAnswer(
                f"{self.url} answered HTTP {response.status_code}{_error_detail(answer)}, "
                "not GraphQL (is --admin-url the node's admin server?)"
            )
        errors = answer.get("errors")
        if errors:
            raise GraphQLErrors(tuple(_graphql_error(error) for error in errors))
        data = answer.get("data")
        if not isinstance(data, dict):
            raise UnexpectedAnswer(f"{self.url} answered without data")
        return data


def _is_signature_refusal(answer: object) -> bool:
    """The Admin API's 401 body, `{"error": "unauthorized", "reason": …}`; another 401 (the
    ILP connector's port, a proxy) is an `UnexpectedAnswer`."""
    return isinstance(answer, dict) and answer.get("error") == "unauthorized"


def _refusal(answer: dict[str, Any]) -> str:
    reason = answer.get("reason")
    if reason in _CLOCK_REASONS:
        return f"the Admin API refused the signature: {reason} (is this computer's clock right?)"
    return "the Admin API refused the signature (is ADMIN_API_SECRET right?)"


def _error_detail(answer: object) -> str:
    """`: <error>` for the JSON error bodies ilpnode sends outside GraphQL (e.g. 503)."""
    if isinstance(answer, dict) and isinstance(answer.get("error"), str):
        return f": {answer['error']}"
    return ""


def _graphql_error(error: object) -> GraphQLError:
    if not isinstance(error, dict):
        return GraphQLError(message=str(error), code=None)
    extensions = error.get("extensions")
    code = extensions.get("code") if isinstance(extensions, dict) else None
    return GraphQLError(
        message=str(error.get("message", "unknown error")),
        code=code if isinstance(code, str) else None,
    )
