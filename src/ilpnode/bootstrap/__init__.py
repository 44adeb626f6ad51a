"""The composition root: the only place that builds and wires the node's objects (STYLE rule 18).

`build_node(settings)` calls plain constructors with explicit arguments and does no I/O;
`await node.start()` migrates the database, opens the ledger, builds the services over it, loads
every peer's routes and tokens and every hosted wallet address into memory, loads the STREAM
server secret, starts the liquidity webhooks and the change feed (PostgreSQL only: other
processes' changes reach this one's memory), the connector and the writer of the payments
received, builds the Admin API and the SPSP server, and starts the outgoing payments' sweep
(payments a dead process left unfinished are ended from the ledger); `await node.close()` stops
the payments this process runs (they settle, up to SHUTDOWN_GRACE_SECONDS), writes the last
payments received and releases everything. Tests build the same graph with their own settings.
Nothing runs at import time.

The root wires and steps aside: the connector port's app is given the token authenticator and
the pipeline itself (`connector.port`), so no packet passes through this package.

- `node`: `Node` (start, health, close, a lost ledger lock) and `build_node`;
- `ledger`: the ledger's lock, the migrations, the backend opened;
- `connector`: the packet path's tables, metrics, rates, pipeline and port;
- `services`: the application services the Admin API and the dashboard call;
- `payments`: receiving (wallet addresses, STREAM secret, payments received) and sending;
- `webhooks`: the liquidity webhooks and the change feed;
- `surfaces`: the admin, Open Payments and auto-peering apps, 503 until the node serves;
- `metrics`: the Prometheus registry and each peer's liquidity;
- `payment_path`: the connector as the node's own payments see it (the one adapter that knows
  both the connector and the services);
- `clients`: the HTTP clients the services use; `errors`: `StartupError`.
"""

from ilpnode.bootstrap.errors import StartupError
from ilpnode.bootstrap.node import Node, build_node

__all__ = ["Node", "StartupError", "build_node"]
