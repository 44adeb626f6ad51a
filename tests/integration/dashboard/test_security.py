"""Login, sessions and CSRF (dashboard/security.py), in-process."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import httpx
from starlette.routing import Route

from ilpnode.bootstrap import Node, build_node
from tests.support import make_settings

from .conftest import SECRET, Dashboard, create_asset, errors, flashes


async def test_pages_need_a_login(anonymous: Dashboard) -> None:
    for path in ("/", "/peers", "/peers/new", "/assets", f"/peers/{uuid4()}"):
        response = await anonymous.get(path)
        assert response.status_code == 303
        assert response.headers["location"] == f"/dashboard/login?next=/dashboard{path}"
    # a POST without a session is refused the same way, and nothing happens
    response = await anonymous.post("/assets/new", {"code": "USD", "scale": "2"}, csrf=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/dashboard/login")


async def test_login_with_the_secret_and_back_to_the_page(anonymous: Dashboard) -> None:
    page = await anonymous.get("/login?next=/dashboard/assets")
    assert page.status_code == 200
    assert 'type="password"' in page.text
    wrong = await anonymous.post("/login", {"secret": "not-it", "next": "/dashboard/assets"})
    assert wrong.status_code == 401
    assert "not this node's ADMIN_API_SECRET" in errors(wrong)["login-secret"]
    assert "not-it" not in wrong.text  # the typed secret is not sent back
    right = await anonymous.post("/login", {"secret": SECRET, "next": "/dashboard/assets"})
    assert right.status_code == 303
    assert right.headers["location"] == "/dashboard/assets"
    cookie = right.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert SECRET not in right.headers["set-cookie"]
    page = await anonymous.get("/assets")
    assert page.status_code == 200
    assert flashes(page) == [("ok", "Logged in.")]


async def test_login_does_not_redirect_elsewhere(anonymous: Dashboard) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/dashboard//evil", "/graphql"):
        await anonymous.get("/login")  # each login starts a new session, with a new token
        response = await anonymous.post("/login", {"secret": SECRET, "next": target})
        assert response.headers["location"] == "/dashboard/"


async def test_logout_ends_the_session(dash: Dashboard) -> None:
    response = await dash.post("/logout", {})
    assert response.headers["location"] == "/dashboard/login"
    assert (await dash.get("/")).status_code == 303


async def test_a_post_without_the_csrf_token_is_refused_and_saves_nothing(
    dash: Dashboard, node: Node
) -> None:
    form = {"code": "USD", "scale": "2", "withdrawal_threshold": "", "liquidity_threshold": ""}
    for token in (None, "", "forged"):
        data = form if token is None else {**form, "csrf_token": token}
        response = await dash.post("/assets/new", data, csrf=False)
        assert response.status_code == 403
        assert "did not come from this dashboard" in response.text
    assert node.services is not None
    assert await node.services.assets.by_code_and_scale("USD", 2) is None


async def test_every_post_route_checks_the_csrf_token(dash: Dashboard, node: Node) -> None:
    asset_id = await create_asset(dash)
    app = node.dashboard_app
    assert app is not None
    posts = [
        route.path
        for route in app.routes  # type: ignore[attr-defined]
        if isinstance(route, Route) and "POST" in (route.methods or ())
    ]
    # login, logout, 11 for peers (auto-peering and the test payment too), 7 for assets, 4 for
    # wallet addresses
    assert len(posts) == 24
    for path in posts:
        concrete = path.replace("{peer_id}", str(uuid4())).replace("{asset_id}", asset_id)
        concrete = concrete.replace("{wallet_address_id}", str(uuid4()))
        response = await dash.post(concrete, {"amount": "1"}, csrf=False)
        assert response.status_code == 403, path


async def test_a_token_from_another_session_is_refused(dash: Dashboard, node: Node) -> None:
    transport = httpx.ASGITransport(app=node.admin_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as other:
        stranger = Dashboard(other)
        await stranger.login()
        response = await stranger.post("/logout", {"csrf_token": dash.csrf}, csrf=False)
        assert response.status_code == 403


async def test_security_headers(dash: Dashboard) -> None:
    page = await dash.get("/")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src" not in csp  # no script at all
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    css = await dash.get("/static/dashboard.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")


async def test_without_a_secret_there_is_no_login_but_only_loopback_names(
    tmp_path: Path,
) -> None:
    node = build_node(make_settings(database_url=f"sqlite:///{tmp_path / 'open.sqlite3'}"))
    await node.start()
    try:
        transport = httpx.ASGITransport(app=node.admin_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            page = await client.get("/dashboard/")
            assert page.status_code == 200
            assert "Log out" not in page.text
            assert (await client.get("/dashboard/login")).headers["location"] == "/dashboard/"
            rebound = await client.get("/dashboard/", headers={"host": "evil.example"})
            assert rebound.status_code == 403
            assert "127.0.0.1 or localhost" in rebound.text
            # CSRF is still checked: a cross-site form post to the loopback node fails
            refused = await client.post("/dashboard/assets/new", data={"code": "USD"})
            assert refused.status_code == 403
            assert (await client.get("/")).headers["location"] == "/dashboard/"
    finally:
        await node.close()


async def test_the_dashboard_answers_503_until_the_node_has_started(tmp_path: Path) -> None:
    node = build_node(make_settings(database_url=f"sqlite:///{tmp_path / 'n.sqlite3'}"))
    transport = httpx.ASGITransport(app=node.admin_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        assert (await client.get("/dashboard/")).status_code == 503
    await node.close()


async def test_the_session_cookie_is_secure_when_told_tls_is_in_front(tmp_path: Path) -> None:
    """DASHBOARD_SECURE_COOKIE: behind TLS, the cookie must never travel over plain HTTP."""
    for secure in (False, True):
        node = build_node(
            make_settings(
                database_url=f"sqlite:///{tmp_path / f'{secure}.sqlite3'}",
                admin_api_secret=SECRET,
                dashboard_secure_cookie=secure,
            )
        )
        await node.start()
        try:
            transport = httpx.ASGITransport(app=node.admin_app)
            async with httpx.AsyncClient(transport=transport, base_url="https://admin") as client:
                dash = Dashboard(client)
                await dash.get("/login")
                response = await dash.post("/login", {"secret": SECRET, "next": "/dashboard/"})
                assert response.status_code == 303
                assert ("; secure" in response.headers["set-cookie"].lower()) is secure
        finally:
            await node.close()
