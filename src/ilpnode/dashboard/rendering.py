"""Pages: the Jinja2 environment (autoescaped everywhere), rendering, redirects and flashes.

Links are built from the mount point (`scope["root_path"]`), so the dashboard works wherever
the admin app mounts it. Each page's context gets `root`, the session's `csrf_token`, the
flashes (shown once), the node's address and name, and whether there is a login.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal

import jinja2
from starlette.requests import HTTPConnection, Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from ilpnode.dashboard.amounts import format_amount, format_basis_points, plain_amount
from ilpnode.dashboard.security import csrf_token
from ilpnode.dashboard.services import DashboardServices

__all__ = ["TEMPLATES_DIR", "Pages", "flash", "make_templates", "root_of"]

TEMPLATES_DIR: Final = Path(__file__).parent / "templates"
_FLASHES_MAX: Final = 5  # a session cookie must stay small

FlashLevel = Literal["ok", "error"]


def make_templates() -> Jinja2Templates:
    """The dashboard's templates: autoescape on for every template, undefined names fail."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["amount"] = format_amount
    env.filters["plain_amount"] = plain_amount
    env.filters["basis_points"] = format_basis_points
    env.filters["when"] = _when
    return Jinja2Templates(env=env)


def _when(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def root_of(request: HTTPConnection) -> str:
    """The dashboard's mount point, e.g. `/dashboard` ("" at the root)."""
    root: str = request.scope.get("root_path", "")
    return root


def flash(request: HTTPConnection, text: str, level: FlashLevel = "ok") -> None:
    """A message for the next page this session sees (post/redirect/get)."""
    flashes = list(request.session.get("flash", []))[-(_FLASHES_MAX - 1) :]
    flashes.append([level, text])
    request.session["flash"] = flashes


class Pages:
    """What every route needs: the services, the templates, and whether there is a login."""

    def __init__(
        self, *, services: DashboardServices, templates: Jinja2Templates, login_enabled: bool
    ) -> None:
        self.services = services
        self.templates = templates
        self.login_enabled = login_enabled

    def render(
        self,
        request: Request,
        name: str,
        context: Mapping[str, Any],
        *,
        status_code: int = 200,
        section: str = "",
    ) -> Response:
        """Render template `name` with `context` and the common names."""
        flashes = request.session.pop("flash", [])
        common = {
            "root": root_of(request),
            "csrf_token": csrf_token(request),
            "flashes": flashes,
            "ilp_address": self.services.ilp_address,
            "instance_name": self.services.instance_name,
            "login_enabled": self.login_enabled,
            "section": section,
        }
        return self.templates.TemplateResponse(
            request, name, {**common, **context}, status_code=status_code
        )

    def redirect(self, request: HTTPConnection, path: str) -> RedirectResponse:
        """303 See Other to `path` under the dashboard's root (the "redirect" of PRG)."""
        return RedirectResponse(root_of(request) + path, status_code=303)

    def not_found(self, request: Request, text: str) -> Response:
        return self.render(request, "error.html", {"text": text}, status_code=404)
