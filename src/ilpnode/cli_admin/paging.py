"""Relay pagination for `list` commands: one page of `--first N`, or every page in turn."""

from __future__ import annotations

from typing import Any, Final

from ilpnode.cli_admin.connection import CliFailure, Connection

__all__ = ["PAGE_SIZE_MAX", "fetch_pages"]

PAGE_SIZE_MAX: Final = 100  # the Admin API's limit for `first` (Rafiki's)


def fetch_pages(
    connection: Connection, document: str, field: str, *, first: int | None
) -> dict[str, Any]:
    """The `data` of a connection query (`document` takes `$first` and `$after`).

    With `first`, one request for that many items. Without, pages of `PAGE_SIZE_MAX` are read
    until `pageInfo.hasNextPage` is false, and the answer is returned as one: `{field: {"edges":
    all edges, "pageInfo": the last page's}}`.

    Raises:
        CliFailure: a request failed, or the server repeated a cursor (it would loop forever).
    """
    if first is not None:
        return connection.execute(document, {"first": first})
    edges: list[Any] = []
    seen: set[str] = set()
    after: str | None = None
    with connection.client() as client:
        while True:
            variables = {"first": PAGE_SIZE_MAX, "after": after}
            page = connection.execute(document, variables, client=client)[field]
            edges.extend(page["edges"])
            info = page["pageInfo"]
            after = info.get("endCursor")
            if not info.get("hasNextPage") or after is None:
                return {field: {"edges": edges, "pageInfo": info}}
            if after in seen:
                raise CliFailure(f"the Admin API repeated the cursor {after} of {field}")
            seen.add(after)
