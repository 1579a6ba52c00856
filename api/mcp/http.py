"""The MCP tools over streamable HTTP at ``/mcp`` on the API server, keyed by the Bearer header."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI
from mcp.server.transport_security import TransportSecuritySettings

from api.mcp.server import Backends, build_mcp_server, key_from_headers


def mount_mcp(app: FastAPI, backends: Backends) -> AbstractAsyncContextManager[None]:
    """Add the ``/mcp`` route to ``app``; the returned context must wrap the app's lifespan.

    Stateless JSON responses: every call carries its own key, so no session holds a caller.
    The SDK's DNS-rebinding guard (localhost Host headers only) is off because a browser
    tricked into calling us still has no API key, and it would refuse any deployed host name.
    """
    server = build_mcp_server(backends, lambda ctx: key_from_headers(backends.store, ctx.headers))
    http_app = server.streamable_http_app(
        streamable_http_path="/mcp",
        stateless_http=True,
        json_response=True,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    app.router.routes.extend(http_app.routes)
    return server.session_manager.run()
