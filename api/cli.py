"""``partnermatch serve``: registered into the core CLI through the entry-point group."""

from __future__ import annotations

import os

import typer

WORKER_HEALTHCHECK_S = 120


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to the ``partnermatch`` CLI."""

    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
        port: int = typer.Option(8000, min=1, max=65535, help="TCP port."),
        workers: int = typer.Option(
            1,
            min=1,
            max=64,
            help="Worker processes, each with its own engine following the change log "
            "(about one per core; memory per worker: docs/deploy.md).",
        ),
    ) -> None:
        """Serve the HTTP API and the web pages with uvicorn."""
        import uvicorn  # here: every other command would pay ~0.1 s to import it

        # the workers inherit it: each enforces its share of the per-key widget rate
        os.environ["PARTNERMATCH_WORKERS"] = str(workers)
        uvicorn.run(
            "api.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            # uvicorn restarts a worker that does not answer its ping within this: loading the
            # embedding model and the index holds the interpreter for longer than the default 5 s
            # on a busy machine, and the workers were killed and restarted for ever
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
        )

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
