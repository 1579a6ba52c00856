"""CLI commands of the matching engine: ``index build``, ``index status``, ``recommend`` and
``exposure``.

Registered on the ``partnermatch`` command by :mod:`matcher.cli.app`. The engine's modules are
imported inside the commands, so that ``partnermatch --help`` does not load them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from matcher.cli.console import console, open_store, progress_bar

index_app = typer.Typer(help="Build and inspect the partner vector index.", no_args_is_help=True)


def _engine_parts():  # type: ignore[no-untyped-def]
    from matcher.embedding.factory import get_embedder
    from matcher.ipp.registry import default_scorer
    from matcher.settings import get_settings

    settings = get_settings()
    return settings, open_store(), console, get_embedder, default_scorer


@index_app.command("build")
def index_build() -> None:
    """Embed every partner (cached vectors reused) and save the index atomically."""
    from matcher.engine.build import build_engine

    settings, store, console, get_embedder, default_scorer = _engine_parts()
    total = store.count_partners()
    if total == 0:
        console.print(
            "[red]error:[/red] no partners in the store; run `partnermatch ingest partners`"
        )
        raise typer.Exit(code=2)
    with progress_bar() as progress:
        task = progress.add_task("load embedding model", total=None)
        embedder = get_embedder(settings)
        progress.update(task, description="embed partners", total=total)
        engine = build_engine(
            store,
            embedder,
            default_scorer(settings),
            settings,
            progress=lambda done, _total: progress.update(task, completed=done),
        )
    console.print(
        f"indexed {len(engine.index)} partners with {embedder.model_id} "
        f"({engine.index.kind}), version {engine.index.index_version}"
    )


@index_app.command("status")
def index_status() -> None:
    """The saved index's manifest, whether it is current against the store, and the engine
    snapshot saved with it (``null``: a starting process reads every partner instead)."""
    from matcher.engine.build import index_dir
    from matcher.engine.index import IndexLoadError, read_manifest
    from matcher.engine.snapshot import snapshot_path

    settings, store, console, _, _ = _engine_parts()
    try:
        manifest = read_manifest(index_dir(settings))
    except IndexLoadError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(code=1) from None
    assert manifest is not None
    current = manifest.store_fingerprint == store.partner_fingerprint()
    snapshot = snapshot_path(index_dir(settings), manifest.index_version)
    found = snapshot.name if snapshot.is_dir() else None
    typer.echo(json.dumps({**manifest.__dict__, "current": current, "snapshot": found}, indent=2))


def recommend(
    deal_path: Path = typer.Argument(..., help="A deal as JSON (DESIGN.md 3.3); '-' reads stdin."),
    teams: bool = typer.Option(
        False, "--teams", help="Teams of partners who together cover the deal, not single ones."
    ),
    max_team_size: int = typer.Option(3, min=1, max=5, help="The most partners in one team."),
) -> None:
    """Recommend partners (or, with --teams, teams) for a deal; prints the JSON answer."""
    from pydantic import ValidationError

    from matcher import taxonomy
    from matcher.audit import record_recommendation, record_teams
    from matcher.engine.build import load_engine
    from matcher.engine.index import IndexLoadError
    from matcher.engine.teams import CoSell, recommend_teams
    from matcher.schemas import Deal, field_problems

    settings, store, console, get_embedder, default_scorer = _engine_parts()
    try:
        raw = sys.stdin.read() if str(deal_path) == "-" else deal_path.read_text("utf-8")
        deal = Deal.model_validate(json.loads(raw))
    except OSError as error:
        console.print(f"[red]error:[/red] cannot read {deal_path}: {error.strerror}")
        raise typer.Exit(code=2) from None
    except json.JSONDecodeError as error:
        console.print(f"[red]error:[/red] {deal_path} is not valid JSON: {error}")
        raise typer.Exit(code=2) from None
    except ValidationError as error:
        for problem in field_problems(error):
            console.print(f"[red]error:[/red] {problem.field}: {problem.message}", highlight=False)
        raise typer.Exit(code=2) from None
    try:
        engine = load_engine(store, get_embedder(settings), default_scorer(settings), settings)
    except IndexLoadError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(code=1) from None
    try:
        if teams:
            co_sell = CoSell.from_outcomes(store.outcomes_frame())
            answer = recommend_teams(engine, deal, max_team_size, co_sell)
        else:
            answer = engine.recommend(deal)
    except taxonomy.UnknownValueError as error:
        console.print(f"[red]error:[/red] {error}", highlight=False)
        raise typer.Exit(code=2) from None
    # Audited like the API's answers (no key: the CLI runs with the store's own access).
    request = deal.model_dump(mode="json")
    if teams:
        record_teams(store, request, answer, None)
    else:
        record_recommendation(store, request, answer, None, channel="cli")
    typer.echo(json.dumps(answer, indent=2, ensure_ascii=False))


def exposure(
    top: int = typer.Option(10, min=0, help="How many of the most-exposed partners to list."),
) -> None:
    """How concentrated the served answers' top-5 slots are (from the audit log): the share
    taken by the most-exposed 5 % of partners, the Gini coefficient, the most-exposed ones."""
    from matcher.engine.exposure import ExposureLedger, concentration

    store = open_store()
    slots = ExposureLedger(store.served_partner_ranks()).snapshot()
    figures = concentration(slots, store.count_partners())
    typer.echo(
        f"{int(figures['slots'])} top-5 slots served over {store.count_partners()} partners: "
        f"the most-exposed 5 % took {figures['top_share']:.1%}, Gini {figures['gini']:.3f}"
    )
    for partner_id, count in slots.most_common(top):
        typer.echo(f"  {partner_id}  {count}")


def register(app: typer.Typer) -> None:
    """Add ``index``, ``recommend`` and ``exposure`` to the ``partnermatch`` command."""
    app.add_typer(index_app, name="index")
    app.command("recommend")(recommend)
    app.command("exposure")(exposure)
