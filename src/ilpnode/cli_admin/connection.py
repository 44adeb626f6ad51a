"""The options every admin command shares (`--admin-url`, `--secret`, `--json`) and the
`Connection` they build, which runs GraphQL and turns failures into one-line `ilpnode: …` errors.

httpx and the signing code are imported on the first request, not when the CLI loads, so that
`ilpnode --help` stays fast.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

import click

if TYPE_CHECKING:
    from ilpnode.cli_admin.client import AdminClient

__all__ = ["DEFAULT_ADMIN_URL", "CliFailure", "Connection", "with_connection"]

DEFAULT_ADMIN_URL: Final = "http://127.0.0.1:3001"


class CliFailure(click.ClickException):
    """A failure of the command (not of its usage): `ilpnode: <message>` on stderr, exit 1."""

    exit_code = 1

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"ilpnode: {self.format_message()}", err=True, file=file)


@dataclass(frozen=True, slots=True, kw_only=True)
class Connection:
    """Where and how to reach the Admin API, and how to print answers. `repr` hides the secret."""

    admin_url: str
    secret: str | None = field(repr=False)
    as_json: bool

    @contextmanager
    def client(self) -> Iterator[AdminClient]:
        """An open `AdminClient` for several requests in a row."""
        from ilpnode.cli_admin.client import AdminClient

        with AdminClient(self.admin_url, secret=self.secret) as client:
            yield client

    def execute(
        self,
        document: str,
        variables: Mapping[str, object] | None = None,
        *,
        client: AdminClient | None = None,
    ) -> dict[str, Any]:
        """The `data` of one GraphQL request (on `client` if given, else on a new connection).

        Raises:
            CliFailure: the node is unreachable, refused the signature, answered GraphQL
                errors (one line per error: `message (extensions.code)`), or did not answer
                GraphQL.
        """
        from ilpnode.cli_admin.client import AdminApiFailure, GraphQLErrors

        try:
            if client is not None:
                return client.execute(document, variables or {})
            with self.client() as fresh:
                return fresh.execute(document, variables or {})
        except GraphQLErrors as failure:
            lines = [
                error.message if error.code is None else f"{error.message} ({error.code})"
                for error in failure.errors
            ]
            raise CliFailure("\nilpnode: ".join(lines)) from None
        except AdminApiFailure as failure:
            raise CliFailure(failure.message) from None

    def print_json(self, data: object) -> None:
        """Print `data` as indented JSON (the `--json` output)."""
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _check_url(_ctx: click.Context, param: click.Parameter, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(
            f"{value!r} is not an http(s) URL such as {DEFAULT_ADMIN_URL}", param=param
        )
    return value


_OPTIONS: Final = (
    click.option(
        "--admin-url",
        envvar="ILPNODE_ADMIN_URL",
        show_envvar=True,
        default=DEFAULT_ADMIN_URL,
        show_default=True,
        metavar="URL",
        callback=_check_url,
        help="The node's admin server (ADMIN_HOST:ADMIN_PORT); /graphql is added.",
    ),
    click.option(
        "--secret",
        envvar="ADMIN_API_SECRET",
        show_envvar=True,
        metavar="SECRET",
        help="The node's ADMIN_API_SECRET: requests are signed with it. Prefer the "
        "environment variable (a command line is visible to other users).",
    ),
    click.option(
        "--json",
        "as_json",
        is_flag=True,
        help="Print the GraphQL answer's data as JSON instead of a table.",
    ),
)


def with_connection(command: Callable[..., None]) -> Callable[..., None]:
    """Add the connection options to a command function, which then receives a `Connection`
    as its first argument instead of the three option values. Put it below `@…command()`."""

    @functools.wraps(command)
    def run(*args: Any, admin_url: str, secret: str | None, as_json: bool, **kwargs: Any) -> None:
        connection = Connection(admin_url=admin_url, secret=secret or None, as_json=as_json)
        command(connection, *args, **kwargs)

    decorated: Callable[..., None] = run
    for option in reversed(_OPTIONS):
        decorated = option(decorated)
    return decorated
