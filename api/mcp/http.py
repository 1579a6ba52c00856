"""The MCP tools over streamable HTTP at ``/mcp`` on the API server, keyed by the Bearer header."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from mcp.server.transport_security import TransportSecuritySettings
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from api.mcp.server import Backends, build_mcp_server, key_from_headers


class McpEndpoint:
    """The ASGI app at ``/mcp``: the SDK's streamable HTTP app of the running lifespan.

    The SDK's session manager runs once per instance, but an app's lifespan can run more than
    once (every test client, schemathesis' ASGI calls), so each lifespan builds its own server.
    Stateless JSON responses: every call carries its own key, so no session holds a caller.
    The SDK's DNS-rebinding guard (localhost Host headers only) is off because a browser
    tricked into calling us still has no API key, and it would refuse any deployed host name.
    """

    def __init__(self, backends: Backends) -> None:
        self.backends = backends
        self._current: ASGIApp | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Serve MCP for the duration of one app lifespan."""
        server = build_mcp_server(
            self.backends, lambda ctx: key_from_headers(self.backends.store, ctx.headers)
        )
        self._current = server.streamable_http_app(
            streamable_http_path="/mcp",
            stateless_http=True,
            json_response=True,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        try:
            async with server.session_manager.run():
                yield
        finally:
            self._current = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._current is None:
            response = JSONResponse(
                {"title": "MCP is not running", "status": 503},
                status_code=503,
                media_type="application/problem+json",
            )
            await response(scope, receive, send)
            return
        await self._current(scope, receive, send)


def mount_mcp(app: FastAPI, backends: Backends) -> McpEndpoint:
    """Add the ``/mcp`` route to ``app``; its ``running()`` context must wrap the lifespan."""
    endpoint = McpEndpoint(backends)
    app.router.routes.append(Route("/mcp", endpoint=endpoint))
    return endpoint
