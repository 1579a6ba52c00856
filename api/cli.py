"""``partnermatch serve``: registered into the core CLI through the entry-point group."""

from __future__ import annotations

import typer
import uvicorn


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to the ``partnermatch`` CLI."""

    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
        port: int = typer.Option(8000, min=1, max=65535, help="TCP port."),
    ) -> None:
        """Serve the HTTP API (and, later, the web pages) with uvicorn."""
        uvicorn.run("api.app:create_app", factory=True, host=host, port=port)

    @app.command()
    def mcp() -> None:
        """Serve the MCP tools over stdio for a local agent (key in PARTNERMATCH_API_KEY)."""
        # Imported here so that the other commands do not pay for loading the MCP SDK.
        from api.mcp.stdio import McpKeyError, serve_stdio
        from matcher.settings import get_settings

        try:
            serve_stdio(get_settings())
        except McpKeyError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(code=2) from None
