"""A stand-in Admin API on an httpx MockTransport: records each request, answers from a script."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from ilpnode.cli_admin import client as client_module

_REAL_CLIENT = client_module.AdminClient

Answer = Callable[[dict[str, Any]], httpx.Response]


class FakeApi:
    """Answers requests in turn with `answers` (callables of the parsed body), recording them."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.answers:
            raise AssertionError(f"unexpected request {request.content!r}")
        return self.answers.pop(0)(json.loads(request.content))

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(request.content) for request in self.requests]

    @contextmanager
    def installed(self, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApi]:
        """Make every `AdminClient` the CLI creates talk to this fake."""
        transport = httpx.MockTransport(self.handle)

        def fake(admin_url: str, *, secret: str | None) -> client_module.AdminClient:
            return _REAL_CLIENT(admin_url, secret=secret, transport=transport)

        monkeypatch.setattr(client_module, "AdminClient", fake)
        yield self


def data(value: dict[str, Any]) -> Answer:
    return lambda _body: httpx.Response(200, json={"data": value})


def error(message: str, code: str, status: int = 200) -> Answer:
    body = {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}
    return lambda _body: httpx.Response(status, json=body)
