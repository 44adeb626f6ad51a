"""Log in with ADMIN_API_SECRET, and log out."""

from __future__ import annotations

import logging

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ilpnode.dashboard.forms import FormState, typed_values
from ilpnode.dashboard.rendering import Pages, flash, root_of
from ilpnode.dashboard.security import csrf_protected, log_in, safe_next, secret_matches

__all__ = ["routes"]

logger = logging.getLogger("ilpnode.dashboard")


def routes(pages: Pages, *, admin_api_secret: str | None) -> list[BaseRoute]:
    async def render(request: Request, state: FormState, status_code: int) -> Response:
        return pages.render(request, "login.html", {"form": state}, status_code=status_code)

    async def login_page(request: Request) -> Response:
        if admin_api_secret is None:
            return pages.redirect(request, "/")
        next_ = safe_next(root_of(request), request.query_params.get("next"))
        return await render(request, FormState(values={"secret": "", "next": next_}), 200)

    async def login(request: Request, form: FormData) -> Response:
        if admin_api_secret is None:
            return pages.redirect(request, "/")
        state = FormState(values=typed_values(form, ("secret", "next")))
        target = safe_next(root_of(request), state.values["next"])
        state.values = {"secret": "", "next": target}  # never send the secret back
        if not secret_matches(typed_values(form, ("secret",))["secret"], admin_api_secret):
            client = request.client.host if request.client else "?"
            logger.warning("dashboard login refused (wrong secret) from %s", client)
            state.errors["secret"] = (
                "That is not this node's ADMIN_API_SECRET. Type it exactly (it is case-sensitive)."
            )
            return await render(request, state, 401)
        log_in(request)
        flash(request, "Logged in.")
        return Response(status_code=303, headers={"location": target})

    async def logout(request: Request, _form: FormData) -> Response:
        request.session.clear()
        return pages.redirect(request, "/login" if admin_api_secret is not None else "/")

    return [
        Route("/login", login_page, methods=["GET"]),
        Route("/login", csrf_protected(login), methods=["POST"]),
        Route("/logout", csrf_protected(logout), methods=["POST"]),
    ]
