"""ilpnode.dashboard: the admin dashboard, server-rendered pages on the admin server.

Starlette routes render Jinja2 templates (autoescaped) with plain HTML forms and no JavaScript;
the forms call the same services as the Admin API (`DashboardServices`, built by `bootstrap`).
Pages: overview, peers (table, create, edit, liquidity, check connection, delete), assets
(table, create, thresholds, liquidity, delete), login. See docs/dashboard.md.
"""

from ilpnode.dashboard.app import create_dashboard_app
from ilpnode.dashboard.peer_check import CheckResult, PeerChecker
from ilpnode.dashboard.security import session_key_for
from ilpnode.dashboard.services import DashboardServices

__all__ = [
    "CheckResult",
    "DashboardServices",
    "PeerChecker",
    "create_dashboard_app",
    "session_key_for",
]
