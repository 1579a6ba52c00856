"""``partnermatch mcp``: the tools over stdio for a local agent, key in ``PARTNERMATCH_API_KEY``."""

from __future__ import annotations

import os

import anyio
from mcp.server.mcpserver import Context

from api.errors import Problem
from api.mcp.server import Backends, build_mcp_server
from matcher.embedding import get_embedder
from matcher.engine import MatchingService
from matcher.ipp import default_scorer
from matcher.keys import ApiKey, verify_key
from matcher.recruiting import RecruitingService
from matcher.settings import Settings
from matcher.store import Store


class McpKeyError(Exception):
    """The stdio server cannot start: no key, or one that is unknown or revoked."""


def serve_stdio(settings: Settings) -> None:
    """Check the key, load the engine once, then answer MCP requests on stdin/stdout."""
    store = Store.from_settings(settings)
    token = os.environ.get("PARTNERMATCH_API_KEY", "")
    if verify_key(store, token) is None:
        raise McpKeyError("PARTNERMATCH_API_KEY must hold an active API key")
    service = MatchingService(
        store, settings, get_embedder(settings), lambda: default_scorer(settings)
    )
    service.start()
    backends = Backends(store, service, RecruitingService(store, settings, service.embedder))

    def resolve(_ctx: Context) -> ApiKey:
        """The key again at each call, so revoking it stops a running agent too."""
        current = verify_key(store, token)
        if current is None:
            raise Problem(401, "the API key is unknown or revoked")
        return current

    anyio.run(build_mcp_server(backends, resolve).run_stdio_async)
