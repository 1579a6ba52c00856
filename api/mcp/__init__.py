"""The MCP server: partnermatch's tools for agents (stdio and streamable HTTP at ``/mcp``)."""

from api.mcp.server import Backends, build_mcp_server, key_from_headers

__all__ = ["Backends", "build_mcp_server", "key_from_headers"]
